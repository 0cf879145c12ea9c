// Drawing on a packed-RGB frame for the annotated video: filled and stroked rectangles,
// lines (optionally dashed) and text in eval/plot's bitmap font, scaled by an integer
// factor so labels stay readable on large frames. Everything is clipped to the image.
#ifndef SERVE_ANNOTATE_CANVAS_H_
#define SERVE_ANNOTATE_CANVAS_H_

#include <cstdint>
#include <string_view>

#include "eval/plot/font.h"

namespace serve::annotate {

class Canvas {
 public:
  // `rgb` holds width * height * 3 bytes, row-major; it must outlive the canvas.
  Canvas(uint8_t* rgb, int width, int height) : rgb_(rgb), width_(width), height_(height) {}

  int width() const { return width_; }
  int height() const { return height_; }

  // Mixes `colour` (0xRRGGBB) into pixel (x, y) with opacity `alpha` in [0, 1].
  void Blend(int x, int y, uint32_t colour, double alpha = 1);
  // The rectangle [x0, x1) x [y0, y1).
  void FillRect(int x0, int y0, int x1, int y1, uint32_t colour, double alpha = 1);
  // Its outline, `thickness` pixels drawn inwards.
  void StrokeRect(int x0, int y0, int x1, int y1, int thickness, uint32_t colour);
  // A line `thickness` pixels wide; dashed: 6 on, 4 off (in steps along the line).
  void Line(double x0, double y0, double x1, double y1, int thickness, uint32_t colour,
            bool dashed = false);
  // `text` with its top-left corner at (x, y), every font pixel drawn as scale x scale.
  void Text(const eval::plot::Font& font, std::string_view text, int x, int y, int scale,
            uint32_t colour);

  static int TextWidth(const eval::plot::Font& font, std::string_view text, int scale) {
    return font.TextWidth(text) * scale;
  }
  static int TextHeight(const eval::plot::Font& font, int scale) {
    return font.LineHeight() * scale;
  }

 private:
  uint8_t* rgb_;
  int width_, height_;
};

}  // namespace serve::annotate

#endif  // SERVE_ANNOTATE_CANVAS_H_
