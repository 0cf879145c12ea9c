// PNG line charts without a plotting library: axes with "nice" ticks, labelled by a built-in
// bitmap font, grid, several series per panel with a legend, several panels side by side.
// Used for training curves (train/), ROC curves and reliability diagrams (eval/).
#ifndef EVAL_PLOT_CHART_H_
#define EVAL_PLOT_CHART_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace eval::plot {

struct Series {
  std::string label;  // in the legend; empty = not listed
  std::vector<double> x, y;  // same length; NaN points are gaps
  uint32_t rgb = 0;   // 0xRRGGBB; 0 = the next colour of the default palette
  bool dashed = false;
  bool markers = false;  // a dot at every point (useful for few points)
};

struct Axis {
  std::string label;
  double min = 0, max = 0;  // min == max: fit the data (with a margin)
};

struct Chart {
  std::string title;
  Axis x, y;
  std::vector<Series> series;
  bool diagonal = false;  // a grey y = x reference line (ROC, reliability)
};

struct Figure {
  int panel_width = 640, panel_height = 480;  // pixels per chart
  std::vector<Chart> charts;                  // laid out left to right
};

// Packed RGB, (charts * panel_width) x panel_height.
struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
};
Image RenderFigure(const Figure& figure);

// RenderFigure, written as a PNG atomically (base/atomic_file.h); errors name the path.
absl::Status WriteFigurePng(const Figure& figure, const std::string& path);

}  // namespace eval::plot

#endif  // EVAL_PLOT_CHART_H_
