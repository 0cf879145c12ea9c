#include "serve/annotate/canvas.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace serve::annotate {

void Canvas::Blend(int x, int y, uint32_t colour, double alpha) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_ || alpha <= 0) return;
  alpha = std::min(alpha, 1.0);
  uint8_t* p = rgb_ + (static_cast<size_t>(y) * width_ + x) * 3;
  for (int c = 0; c < 3; ++c) {
    const double source = static_cast<double>((colour >> (16 - 8 * c)) & 0xff);
    p[c] = static_cast<uint8_t>(std::lround(p[c] + (source - p[c]) * alpha));
  }
}

void Canvas::FillRect(int x0, int y0, int x1, int y1, uint32_t colour, double alpha) {
  x0 = std::max(x0, 0), y0 = std::max(y0, 0);
  x1 = std::min(x1, width_), y1 = std::min(y1, height_);
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) Blend(x, y, colour, alpha);
  }
}

void Canvas::StrokeRect(int x0, int y0, int x1, int y1, int thickness, uint32_t colour) {
  thickness = std::max(1, std::min({thickness, (x1 - x0 + 1) / 2, (y1 - y0 + 1) / 2}));
  FillRect(x0, y0, x1, y0 + thickness, colour);
  FillRect(x0, y1 - thickness, x1, y1, colour);
  FillRect(x0, y0 + thickness, x0 + thickness, y1 - thickness, colour);
  FillRect(x1 - thickness, y0 + thickness, x1, y1 - thickness, colour);
}

void Canvas::Line(double x0, double y0, double x1, double y1, int thickness, uint32_t colour,
                  bool dashed) {
  const int steps = static_cast<int>(std::ceil(std::max(std::abs(x1 - x0), std::abs(y1 - y0))));
  const int before = (thickness - 1) / 2;
  for (int i = 0; i <= steps; ++i) {
    if (dashed && i % 10 >= 6) continue;
    const double t = steps == 0 ? 0 : static_cast<double>(i) / steps;
    const int x = static_cast<int>(std::lround(x0 + (x1 - x0) * t)) - before;
    const int y = static_cast<int>(std::lround(y0 + (y1 - y0) * t)) - before;
    FillRect(x, y, x + thickness, y + thickness, colour);
  }
}

void Canvas::Text(const eval::plot::Font& font, std::string_view text, int x, int y, int scale,
                  uint32_t colour) {
  const int baseline = font.ascent;  // in font pixels below y
  int pen_64 = 0;
  for (char c : text) {
    const eval::plot::Glyph& g = font.GlyphFor(c);
    const int gx = (pen_64 + 32) / 64 + g.left;
    for (int row = 0; row < g.height; ++row) {
      for (int col = 0; col < g.width; ++col) {
        const double alpha = font.alpha[g.offset + row * g.width + col] / 255.0;
        if (alpha <= 0) continue;
        const int px = x + (gx + col) * scale, py = y + (baseline - g.top + row) * scale;
        for (int dy = 0; dy < scale; ++dy) {
          for (int dx = 0; dx < scale; ++dx) Blend(px + dx, py + dy, colour, alpha);
        }
      }
    }
    pen_64 += g.advance_64;
  }
}

}  // namespace serve::annotate
