// Chart rendering in the style of matplotlib's defaults: white panel, black axes box with
// outward ticks at "nice" numbers, a light grid, tab10 colours, anti-aliased 2 px lines
// (solid or dashed, round joins), optional markers, a legend in the emptiest corner, and
// DejaVu Sans text from the built-in bitmap font.
#include "eval/plot/chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "base/atomic_file.h"
#include "eval/plot/font.h"
#include "eval/plot/png.h"
#include "nn/check.h"

namespace eval::plot {
namespace {

// matplotlib's tab10.
constexpr uint32_t kPalette[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};
constexpr uint32_t kBackground = 0xffffff;
constexpr uint32_t kAxisColor = 0x262626;
constexpr uint32_t kTextColor = 0x1a1a1a;
constexpr uint32_t kGridColor = 0xe3e3e3;
constexpr uint32_t kDiagonalColor = 0x9a9a9a;
constexpr uint32_t kLegendBorder = 0xcccccc;

constexpr double kLineHalfWidth = 1.0;  // 2 px lines
constexpr double kMarkerRadius = 3.5;
constexpr double kDashOn = 7, kDashOff = 4;
constexpr int kTickLength = 4;

// A rectangle of pixels [x0, x1) x [y0, y1).
struct Rect {
  int x0, y0, x1, y1;
  bool Contains(double x, double y) const { return x >= x0 && x < x1 && y >= y0 && y < y1; }
};

class Canvas {
 public:
  explicit Canvas(Image* image) : image_(image) {}

  // Mixes `rgb` into pixel (x, y) with opacity `alpha` in [0, 1]; outside: ignored.
  void Blend(int x, int y, uint32_t rgb, double alpha) {
    if (x < 0 || y < 0 || x >= image_->width || y >= image_->height || alpha <= 0) return;
    alpha = std::min(alpha, 1.0);
    uint8_t* p = &image_->rgb[(static_cast<size_t>(y) * image_->width + x) * 3];
    for (int c = 0; c < 3; ++c) {
      const double source = static_cast<double>((rgb >> (16 - 8 * c)) & 0xff);
      p[c] = static_cast<uint8_t>(std::lround(p[c] + (source - p[c]) * alpha));
    }
  }

  void FillRect(const Rect& r, uint32_t rgb, double alpha = 1) {
    for (int y = r.y0; y < r.y1; ++y) {
      for (int x = r.x0; x < r.x1; ++x) Blend(x, y, rgb, alpha);
    }
  }

  // Text with its pen starting at x and its baseline at y. `vertical`: turned 90 degrees
  // counter-clockwise (reads bottom to top), pen starting at y going up, baseline at x.
  void DrawText(const Font& font, std::string_view text, int x, int y, uint32_t rgb,
                bool vertical = false) {
    int pen_64 = 0;
    for (char c : text) {
      const Glyph& g = font.GlyphFor(c);
      const int gx = (pen_64 + 32) / 64 + g.left;
      for (int row = 0; row < g.height; ++row) {
        for (int col = 0; col < g.width; ++col) {
          const double alpha = font.alpha[g.offset + row * g.width + col] / 255.0;
          const int along = gx + col, across = row - g.top;  // across: down from baseline
          if (vertical) {
            Blend(x + across, y - along, rgb, alpha);
          } else {
            Blend(x + along, y + across, rgb, alpha);
          }
        }
      }
      pen_64 += g.advance_64;
    }
  }

 private:
  Image* image_;
};

// Anti-aliased strokes of one colour: the coverage of every segment and dot is combined
// with max() (so joins and overlaps do not darken), then blended once.
class Stroke {
 public:
  explicit Stroke(const Rect& clip)
      : clip_(clip), coverage_(static_cast<size_t>(clip.x1 - clip.x0) * (clip.y1 - clip.y0)) {}

  // A segment of half-width `half`; dashed strokes continue their pattern from `*arc`
  // (the length drawn so far), which is advanced by the segment's length.
  void Segment(double ax, double ay, double bx, double by, double half, bool dashed, double* arc) {
    const double full_length = std::hypot(bx - ax, by - ay);
    const double arc_start = *arc;
    *arc += full_length;
    // Clip to the clip rectangle (plus the pen) first (Liang-Barsky), so points far outside
    // the axes (a diverging loss on a fixed axis) keep their slope and never overflow ints.
    double t0 = 0, t1 = 1;
    const double margin = half + 2;
    const double p[4] = {-(bx - ax), bx - ax, -(by - ay), by - ay};
    const double q[4] = {ax - (clip_.x0 - margin), (clip_.x1 + margin) - ax,
                         ay - (clip_.y0 - margin), (clip_.y1 + margin) - ay};
    for (int i = 0; i < 4; ++i) {
      if (p[i] == 0) {
        if (q[i] < 0) return;  // parallel to this edge and outside it
        continue;
      }
      const double r = q[i] / p[i];
      if (p[i] < 0) t0 = std::max(t0, r);
      if (p[i] > 0) t1 = std::min(t1, r);
    }
    if (t0 > t1) return;
    const double cx = ax + t0 * (bx - ax), cy = ay + t0 * (by - ay);
    bx = ax + t1 * (bx - ax);
    by = ay + t1 * (by - ay);
    ax = cx;
    ay = cy;
    const double dash_start = arc_start + t0 * full_length;
    const double dx = bx - ax, dy = by - ay, length2 = dx * dx + dy * dy;
    const double length = std::sqrt(length2);
    const int x0 = static_cast<int>(std::floor(std::min(ax, bx) - half - 1));
    const int x1 = static_cast<int>(std::ceil(std::max(ax, bx) + half + 1));
    const int y0 = static_cast<int>(std::floor(std::min(ay, by) - half - 1));
    const int y1 = static_cast<int>(std::ceil(std::max(ay, by) + half + 1));
    for (int y = std::max(y0, clip_.y0); y < std::min(y1, clip_.y1); ++y) {
      for (int x = std::max(x0, clip_.x0); x < std::min(x1, clip_.x1); ++x) {
        const double px = x + 0.5 - ax, py = y + 0.5 - ay;
        const double t = length2 > 0 ? std::clamp((px * dx + py * dy) / length2, 0.0, 1.0) : 0;
        const double distance = std::hypot(px - t * dx, py - t * dy);
        double c = std::clamp(half + 0.5 - distance, 0.0, 1.0);
        if (dashed && c > 0) {
          const double phase = std::fmod(dash_start + t * length, kDashOn + kDashOff);
          c *= std::clamp(std::min(phase, kDashOn - phase) + 0.5, 0.0, 1.0);
        }
        Cover(x, y, c);
      }
    }
  }

  void Dot(double cx, double cy, double radius) {
    if (cx < clip_.x0 - radius - 1 || cx > clip_.x1 + radius + 1 || cy < clip_.y0 - radius - 1 ||
        cy > clip_.y1 + radius + 1) {
      return;
    }
    for (int y = static_cast<int>(cy - radius - 1); y <= static_cast<int>(cy + radius + 1); ++y) {
      for (int x = static_cast<int>(cx - radius - 1); x <= static_cast<int>(cx + radius + 1); ++x) {
        if (!clip_.Contains(x, y)) continue;
        Cover(x, y, std::clamp(radius + 0.5 - std::hypot(x + 0.5 - cx, y + 0.5 - cy), 0.0, 1.0));
      }
    }
  }

  void Paint(Canvas* canvas, uint32_t rgb) const {
    const int width = clip_.x1 - clip_.x0;
    for (size_t i = 0; i < coverage_.size(); ++i) {
      if (coverage_[i] > 0) {
        canvas->Blend(clip_.x0 + static_cast<int>(i % width),
                      clip_.y0 + static_cast<int>(i / width), rgb, coverage_[i]);
      }
    }
  }

 private:
  void Cover(int x, int y, double c) {
    float& cell =
        coverage_[static_cast<size_t>(y - clip_.y0) * (clip_.x1 - clip_.x0) + (x - clip_.x0)];
    cell = std::max(cell, static_cast<float>(c));
  }

  Rect clip_;
  std::vector<float> coverage_;
};

// --- Axes: ranges, ticks and their labels.

struct Scale {
  double min = 0, max = 1;
  std::vector<double> ticks;
  std::vector<std::string> labels;
};

// The data's finite range on one axis, with matplotlib's 5% margin; [0, 1] without data.
void FitRange(const std::vector<const std::vector<double>*>& values, double* lo, double* hi) {
  *lo = INFINITY;
  *hi = -INFINITY;
  for (const auto* v : values) {
    for (double d : *v) {
      if (!std::isfinite(d)) continue;
      *lo = std::min(*lo, d);
      *hi = std::max(*hi, d);
    }
  }
  if (*lo > *hi) {
    *lo = 0;
    *hi = 1;
    return;
  }
  if (*lo == *hi) {  // one value (e.g. after the first epoch): centre it
    const double pad = *lo == std::round(*lo) ? 1 : *lo == 0 ? 0.5 : std::abs(*lo) * 0.1;
    *lo -= pad;
    *hi += pad;
    return;
  }
  const double margin = (*hi - *lo) * 0.05;
  *lo -= margin;
  *hi += margin;
}

bool AllIntegers(const std::vector<const std::vector<double>*>& values) {
  bool any = false;
  for (const auto* v : values) {
    for (double d : *v) {
      if (!std::isfinite(d)) continue;
      if (d != std::round(d)) return false;
      any = true;
    }
  }
  return any;
}

std::string FormatTick(double value, double step) {
  if (std::abs(value) < step * 1e-9) value = 0;  // no "-0"
  const double magnitude = std::max(std::abs(value), step);
  char buffer[32];
  if (magnitude >= 1e6 || step < 1e-4) {
    std::snprintf(buffer, sizeof(buffer), "%g", value);
  } else {
    int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
    const double mantissa = step / std::pow(10.0, std::floor(std::log10(step) + 1e-9));
    if (std::abs(mantissa - 2.5) < 1e-6) ++decimals;
    std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  }
  return buffer;
}

// Ticks at multiples of 1, 2, 2.5 or 5 x 10^k, about one per `spacing` pixels.
Scale MakeScale(const Axis& axis, const std::vector<const std::vector<double>*>& values,
                int length_px, int spacing) {
  NN_CHECK(std::isfinite(axis.min) && std::isfinite(axis.max) && axis.min <= axis.max)
      << "axis '" << axis.label << "': min " << axis.min << " > max " << axis.max;
  Scale scale;
  if (axis.min == axis.max) {
    FitRange(values, &scale.min, &scale.max);
  } else {
    scale.min = axis.min;
    scale.max = axis.max;
  }
  const double target = std::max(2, length_px / spacing);
  // Up to 25% more ticks than the target rather than a step twice as coarse.
  const double raw = (scale.max - scale.min) / target / 1.25;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude * 10;
  for (double nice : {1.0, 2.0, 2.5, 5.0}) {
    if (raw <= nice * magnitude * (1 + 1e-9)) {
      step = nice * magnitude;
      break;
    }
  }
  if (AllIntegers(values) && step < 1 && scale.max - scale.min >= 2) step = 1;  // e.g. epochs
  const double first = std::ceil(scale.min / step - 1e-9),
               last = std::floor(scale.max / step + 1e-9);
  // At most 100 ticks: with a range tiny next to its values (1e17 + [0, 1e-7]) k * step
  // cannot resolve the steps.
  for (double k = first; k <= last && scale.ticks.size() < 100; ++k) {
    scale.ticks.push_back(k * step);
    scale.labels.push_back(FormatTick(k * step, step));
  }
  return scale;
}

// --- One chart in its panel.

class ChartRenderer {
 public:
  ChartRenderer(const Chart& chart, const Rect& panel, Canvas* canvas)
      : chart_(chart), panel_(panel), canvas_(canvas), small_(SmallFont()), large_(LargeFont()) {}

  void Render() {
    for (const Series& s : chart_.series) {
      NN_CHECK(s.x.size() == s.y.size())
          << "chart '" << chart_.title << "', series '" << s.label << "': " << s.x.size()
          << " x values but " << s.y.size() << " y values";
      xs_.push_back(&s.x);
      ys_.push_back(&s.y);
    }
    Layout();
    // Back to front: grid, diagonal, series, axes box and ticks, text, legend.
    for (double t : x_.ticks) {
      canvas_->FillRect({XPixel(t), plot_.y0, XPixel(t) + 1, plot_.y1}, kGridColor);
    }
    for (double t : y_.ticks) {
      canvas_->FillRect({plot_.x0, YPixel(t), plot_.x1, YPixel(t) + 1}, kGridColor);
    }
    if (chart_.diagonal) DrawDiagonal();
    int palette_index = 0;
    for (const Series& s : chart_.series) {
      const uint32_t rgb = s.rgb != 0 ? s.rgb : kPalette[palette_index++ % std::size(kPalette)];
      colors_.push_back(rgb);
      DrawSeries(s, rgb);
    }
    DrawAxes();
    DrawLegend();
  }

 private:
  // Data to pixel coordinates: the axis limits fall on the centres of the spines (the
  // columns x0 - 1 and x1, the rows y1 and y0 - 1), as in matplotlib.
  double X(double v) const {
    return plot_.x0 - 0.5 + (v - x_.min) / (x_.max - x_.min) * (plot_.x1 - plot_.x0 + 1);
  }
  double Y(double v) const {
    return plot_.y1 + 0.5 - (v - y_.min) / (y_.max - y_.min) * (plot_.y1 - plot_.y0 + 1);
  }
  int XPixel(double v) const { return static_cast<int>(std::floor(X(v))); }
  int YPixel(double v) const { return static_cast<int>(std::floor(Y(v))); }

  int DigitHeight() const { return small_.GlyphFor('0').top; }

  void Layout() {
    const int top = panel_.y0 + (chart_.title.empty() ? 20 : 16 + large_.GlyphFor('A').top + 14);
    const int bottom = panel_.y1 - (kTickLength + 6 + DigitHeight() +
                                    (chart_.x.label.empty() ? 12 : 12 + small_.ascent + 8));
    y_ = MakeScale(chart_.y, ys_, bottom - top, 60);
    int widest = 0;
    for (const auto& label : y_.labels) widest = std::max(widest, small_.TextWidth(label));
    const int left = panel_.x0 + 12 + (chart_.y.label.empty() ? 0 : small_.ascent + 10) + widest +
                     6 + kTickLength;
    // The last x tick label may stick out on the right: keep room for half of it.
    const int right = panel_.x1 - 24;
    x_ = MakeScale(chart_.x, xs_, right - left, 90);
    plot_ = {left, top, right, bottom};
  }

  void DrawDiagonal() {
    const double lo = std::max(x_.min, y_.min), hi = std::min(x_.max, y_.max);
    if (!(lo < hi)) return;
    Stroke stroke(plot_);
    double arc = 0;
    stroke.Segment(X(lo), Y(lo), X(hi), Y(hi), 0.7, /*dashed=*/true, &arc);
    stroke.Paint(canvas_, kDiagonalColor);
  }

  void DrawSeries(const Series& s, uint32_t rgb) {
    Stroke stroke(plot_);
    double arc = 0;
    bool previous_valid = false;
    for (size_t i = 0; i < s.x.size(); ++i) {
      const bool valid = std::isfinite(s.x[i]) && std::isfinite(s.y[i]);
      if (valid && previous_valid) {
        stroke.Segment(X(s.x[i - 1]), Y(s.y[i - 1]), X(s.x[i]), Y(s.y[i]), kLineHalfWidth, s.dashed,
                       &arc);
      }
      if (valid && s.markers) stroke.Dot(X(s.x[i]), Y(s.y[i]), kMarkerRadius);
      // A lone point between gaps would be invisible without a marker: give it a dot.
      if (valid && !s.markers && !previous_valid &&
          (i + 1 == s.x.size() || !std::isfinite(s.x[i + 1]) || !std::isfinite(s.y[i + 1]))) {
        stroke.Dot(X(s.x[i]), Y(s.y[i]), kMarkerRadius);
      }
      if (!valid) arc = 0;
      previous_valid = valid;
    }
    stroke.Paint(canvas_, rgb);
  }

  void DrawAxes() {
    const Rect& p = plot_;
    canvas_->FillRect({p.x0 - 1, p.y0 - 1, p.x1 + 1, p.y0}, kAxisColor);
    canvas_->FillRect({p.x0 - 1, p.y1, p.x1 + 1, p.y1 + 1}, kAxisColor);
    canvas_->FillRect({p.x0 - 1, p.y0, p.x0, p.y1}, kAxisColor);
    canvas_->FillRect({p.x1, p.y0, p.x1 + 1, p.y1}, kAxisColor);
    const int digit = DigitHeight();
    for (size_t i = 0; i < x_.ticks.size(); ++i) {
      const int x = XPixel(x_.ticks[i]);
      canvas_->FillRect({x, p.y1 + 1, x + 1, p.y1 + 1 + kTickLength}, kAxisColor);
      const int width = small_.TextWidth(x_.labels[i]);
      canvas_->DrawText(small_, x_.labels[i], x - width / 2, p.y1 + 1 + kTickLength + 4 + digit,
                        kTextColor);
    }
    for (size_t i = 0; i < y_.ticks.size(); ++i) {
      const int y = YPixel(y_.ticks[i]);
      canvas_->FillRect({p.x0 - 1 - kTickLength, y, p.x0 - 1, y + 1}, kAxisColor);
      const int width = small_.TextWidth(y_.labels[i]);
      canvas_->DrawText(small_, y_.labels[i], p.x0 - 1 - kTickLength - 4 - width,
                        y + (digit + 1) / 2, kTextColor);
    }
    if (!chart_.x.label.empty()) {
      const int width = small_.TextWidth(chart_.x.label);
      canvas_->DrawText(small_, chart_.x.label, (p.x0 + p.x1 - width) / 2,
                        p.y1 + 1 + kTickLength + 4 + digit + 10 + small_.ascent - 2, kTextColor);
    }
    if (!chart_.y.label.empty()) {
      const int width = small_.TextWidth(chart_.y.label);
      canvas_->DrawText(small_, chart_.y.label, panel_.x0 + 12 + small_.ascent - 2,
                        (p.y0 + p.y1 + width) / 2, kTextColor, /*vertical=*/true);
    }
    if (!chart_.title.empty()) {
      const int width = large_.TextWidth(chart_.title);
      canvas_->DrawText(large_, chart_.title, (p.x0 + p.x1 - width) / 2, p.y0 - 12, kTextColor);
    }
  }

  // How many sampled points of the series fall inside `r` (to place the legend).
  int PointsInside(const Rect& r) const {
    int count = 0;
    for (const Series& s : chart_.series) {
      for (size_t i = 0; i < s.x.size(); ++i) {
        if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
        if (r.Contains(X(s.x[i]), Y(s.y[i]))) ++count;
        if (i == 0 || !std::isfinite(s.x[i - 1]) || !std::isfinite(s.y[i - 1])) continue;
        const double ax = X(s.x[i - 1]), ay = Y(s.y[i - 1]), bx = X(s.x[i]), by = Y(s.y[i]);
        const int steps = static_cast<int>(std::hypot(bx - ax, by - ay) / 3);
        for (int k = 1; k < steps; ++k) {
          const double t = static_cast<double>(k) / steps;
          if (r.Contains(ax + t * (bx - ax), ay + t * (by - ay))) ++count;
        }
      }
    }
    return count;
  }

  void DrawLegend() {
    std::vector<size_t> listed;
    int widest = 0;
    for (size_t i = 0; i < chart_.series.size(); ++i) {
      if (chart_.series[i].label.empty()) continue;
      listed.push_back(i);
      widest = std::max(widest, small_.TextWidth(chart_.series[i].label));
    }
    if (listed.empty()) return;
    constexpr int kPadding = 8, kSample = 28, kRow = 19, kInset = 10;
    const int width = kPadding + kSample + 8 + widest + kPadding;
    const int height = 2 * kPadding + static_cast<int>(listed.size()) * kRow - 4;
    // matplotlib's "best": the corner (upper right first) covering the fewest data points.
    const Rect corners[] = {
        {plot_.x1 - kInset - width, plot_.y0 + kInset, plot_.x1 - kInset,
         plot_.y0 + kInset + height},
        {plot_.x0 + kInset, plot_.y0 + kInset, plot_.x0 + kInset + width,
         plot_.y0 + kInset + height},
        {plot_.x0 + kInset, plot_.y1 - kInset - height, plot_.x0 + kInset + width,
         plot_.y1 - kInset},
        {plot_.x1 - kInset - width, plot_.y1 - kInset - height, plot_.x1 - kInset,
         plot_.y1 - kInset},
    };
    Rect box = corners[0];
    int fewest = -1;
    for (const Rect& r : corners) {
      const int n = PointsInside(r);
      if (fewest < 0 || n < fewest) {
        fewest = n;
        box = r;
      }
    }
    canvas_->FillRect(box, kBackground, 0.85);
    canvas_->FillRect({box.x0, box.y0, box.x1, box.y0 + 1}, kLegendBorder);
    canvas_->FillRect({box.x0, box.y1 - 1, box.x1, box.y1}, kLegendBorder);
    canvas_->FillRect({box.x0, box.y0 + 1, box.x0 + 1, box.y1 - 1}, kLegendBorder);
    canvas_->FillRect({box.x1 - 1, box.y0 + 1, box.x1, box.y1 - 1}, kLegendBorder);
    const int digit = DigitHeight();
    for (size_t row = 0; row < listed.size(); ++row) {
      const Series& s = chart_.series[listed[row]];
      const int center_y = box.y0 + kPadding + static_cast<int>(row) * kRow + 6;
      const Rect sample = {box.x0 + kPadding - 2, center_y - 6, box.x0 + kPadding + kSample + 2,
                           center_y + 7};
      Stroke stroke(sample);
      double arc = 0;
      const double y = center_y + 0.5;
      stroke.Segment(box.x0 + kPadding + 1, y, box.x0 + kPadding + kSample - 1, y, kLineHalfWidth,
                     s.dashed, &arc);
      if (s.markers) stroke.Dot(box.x0 + kPadding + kSample / 2.0, y, kMarkerRadius);
      stroke.Paint(canvas_, colors_[listed[row]]);
      canvas_->DrawText(small_, s.label, box.x0 + kPadding + kSample + 8,
                        center_y + (digit + 1) / 2, kTextColor);
    }
  }

  const Chart& chart_;
  Rect panel_;
  Canvas* canvas_;
  const Font& small_;
  const Font& large_;
  std::vector<const std::vector<double>*> xs_, ys_;
  std::vector<uint32_t> colors_;
  Scale x_, y_;
  Rect plot_{};
};

}  // namespace

Image RenderFigure(const Figure& figure) {
  NN_CHECK(!figure.charts.empty()) << "RenderFigure: a figure needs at least one chart";
  NN_CHECK(figure.panel_width >= 200 && figure.panel_height >= 150)
      << "RenderFigure: panels must be at least 200x150 pixels, got " << figure.panel_width << "x"
      << figure.panel_height;
  Image image;
  image.width = figure.panel_width * static_cast<int>(figure.charts.size());
  image.height = figure.panel_height;
  image.rgb.assign(static_cast<size_t>(image.width) * image.height * 3, 0xff);
  Canvas canvas(&image);
  for (size_t i = 0; i < figure.charts.size(); ++i) {
    const int x0 = static_cast<int>(i) * figure.panel_width;
    ChartRenderer(figure.charts[i], {x0, 0, x0 + figure.panel_width, figure.panel_height}, &canvas)
        .Render();
  }
  return image;
}

absl::Status WriteFigurePng(const Figure& figure, const std::string& path) {
  const Image image = RenderFigure(figure);
  return base::WriteFileAtomically(path, EncodePng(image.width, image.height, image.rgb));
}

}  // namespace eval::plot
