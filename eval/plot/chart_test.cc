// eval/plot/chart.h: pixels where lines, grid, legend and axes must (and must not) be, PNG
// round trips through an independent decoder (dlib's libpng loader), and write errors.
// Sample figures go to $TEST_UNDECLARED_OUTPUTS_DIR for a look.
#include "eval/plot/chart.h"

#include <dlib/image_io.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "base/testing/test_paths.h"
#include "eval/plot/font.h"
#include "eval/plot/png.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eval::plot {
namespace {

using ::testing::HasSubstr;

uint32_t Pixel(const Image& image, int x, int y) {
  const uint8_t* p = &image.rgb[(static_cast<size_t>(y) * image.width + x) * 3];
  return (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2];
}

int CountColor(const Image& image, uint32_t rgb, int x0 = 0, int x1 = -1) {
  if (x1 < 0) x1 = image.width;
  int n = 0;
  for (int y = 0; y < image.height; ++y) {
    for (int x = x0; x < x1; ++x) n += Pixel(image, x, y) == rgb;
  }
  return n;
}

constexpr uint32_t kWhite = 0xffffff, kAxis = 0x262626, kGrid = 0xe3e3e3, kRed = 0xd62728,
                   kLegendBorder = 0xcccccc;

// Length of the run of pixels of (x, y)'s colour through (x, y), along a row or a column.
// Lines, spines, grid and legend borders make long runs; anti-aliased text never does.
int RunLength(const Image& image, int x, int y, bool horizontal) {
  const uint32_t color = Pixel(image, x, y);
  const int dx = horizontal, dy = !horizontal;
  int n = 1;
  for (int i = 1;; ++i) {
    const int px = x + i * dx, py = y + i * dy;
    if (px >= image.width || py >= image.height || Pixel(image, px, py) != color) break;
    ++n;
  }
  for (int i = 1;; ++i) {
    const int px = x - i * dx, py = y - i * dy;
    if (px < 0 || py < 0 || Pixel(image, px, py) != color) break;
    ++n;
  }
  return n;
}

// Pixels of `rgb` that lie in horizontal runs of at least `min_run`, in columns [x0, x1).
int CountInRuns(const Image& image, uint32_t rgb, int min_run, int x0 = 0, int x1 = -1) {
  if (x1 < 0) x1 = image.width;
  int n = 0;
  for (int y = 0; y < image.height; ++y) {
    for (int x = x0; x < x1; ++x) {
      n += Pixel(image, x, y) == rgb && RunLength(image, x, y, true) >= min_run;
    }
  }
  return n;
}

// Rows of the top and bottom spines in column x: axis-coloured, in long horizontal runs.
std::pair<int, int> SpineRows(const Image& image, int x) {
  std::vector<int> rows;
  for (int y = 0; y < image.height && rows.size() < 2; ++y) {
    if (Pixel(image, x, y) == kAxis && RunLength(image, x, y, true) > 100) rows.push_back(y);
  }
  return rows.size() == 2 ? std::make_pair(rows[0], rows[1]) : std::make_pair(-1, -1);
}

// Columns of the left and right spines in row y.
std::pair<int, int> SpineColumns(const Image& image, int y) {
  std::vector<int> columns;
  for (int x = 0; x < image.width && columns.size() < 2; ++x) {
    if (Pixel(image, x, y) == kAxis && RunLength(image, x, y, false) > 100) columns.push_back(x);
  }
  return columns.size() == 2 ? std::make_pair(columns[0], columns[1]) : std::make_pair(-1, -1);
}

// Pixels of `rgb` strictly inside the axes box.
int CountInsidePlot(const Image& image, uint32_t rgb) {
  const auto [top, bottom] = SpineRows(image, image.width / 2);
  const auto [left, right] = SpineColumns(image, image.height / 2);
  int n = 0;
  for (int y = top + 1; y < bottom; ++y) {
    for (int x = left + 1; x < right; ++x) n += Pixel(image, x, y) == rgb;
  }
  return n;
}

Chart HorizontalLineChart(const std::string& label) {
  Chart chart;
  chart.x = {"", 0, 10};
  chart.y = {"", 0, 10};
  chart.series.push_back({label, {0, 10}, {5, 5}, kRed});
  return chart;
}

TEST(ChartTest, LineIsWhereItsDataIsAndBackgroundElsewhere) {
  Figure figure;
  figure.charts.push_back(HorizontalLineChart(""));
  const Image image = RenderFigure(figure);
  ASSERT_EQ(image.width, 640);
  ASSERT_EQ(image.height, 480);
  const int x = image.width / 2;
  const auto [top, bottom] = SpineRows(image, x);
  ASSERT_GT(top, 0);
  ASSERT_GT(bottom, top + 200);
  // y = 5 is halfway between the spines; the 2 px line covers it fully there.
  const double middle = (top + bottom) / 2.0;
  int red_rows = 0;
  for (int y = top + 1; y < bottom; ++y) {
    const uint32_t p = Pixel(image, x, y);
    if (std::abs(y - middle) <= 2) {
      red_rows += p == kRed;
      continue;
    }
    EXPECT_TRUE(p == kWhite || p == kGrid) << "row " << y << ": " << std::hex << p;
  }
  EXPECT_GE(red_rows, 1);
  EXPECT_EQ(CountInRuns(image, kLegendBorder, 30), 0) << "no labels: no legend";
  // The line spans the plot from left to right spine: the red row is red across the plot.
  const int row = static_cast<int>(std::lround(middle - 0.5));
  int left = x, right = x;
  while (left > 0 && Pixel(image, left - 1, row) != kAxis) --left;
  while (right < image.width - 1 && Pixel(image, right + 1, row) != kAxis) ++right;
  EXPECT_GT(right - left, 400);
  int red = 0;
  for (int i = left; i <= right; ++i)
    red += Pixel(image, i, row) == kRed || Pixel(image, i, row + 1) == kRed;
  EXPECT_GE(red, right - left - 2);
}

TEST(ChartTest, GridAndTicksAtNiceNumbers) {
  Figure figure;
  figure.charts.push_back(HorizontalLineChart(""));
  const Image image = RenderFigure(figure);
  // x in [0, 10] over ~600 px: ticks every 2 (0, 2, ..., 10): grid columns at 2..8 inside.
  const auto [top, bottom] = SpineRows(image, image.width / 2);
  const int probe_row = top + 20;
  std::vector<int> grid_columns;
  for (int x = 0; x < image.width; ++x) {
    if (Pixel(image, x, probe_row) == kGrid && RunLength(image, x, probe_row, false) > 100) {
      grid_columns.push_back(x);
    }
  }
  ASSERT_EQ(grid_columns.size(), 4u);  // 2, 4, 6, 8 (0 and 10 are on the spines)
  const int spacing = grid_columns[1] - grid_columns[0];
  for (size_t i = 2; i < grid_columns.size(); ++i) {
    EXPECT_NEAR(grid_columns[i] - grid_columns[i - 1], spacing, 1);
  }
  // Tick labels are drawn below the bottom spine (dark text pixels there).
  int text = 0;
  for (int y = bottom + 6; y < bottom + 25; ++y) {
    for (int x = 0; x < image.width; ++x) text += Pixel(image, x, y) == 0x1a1a1a;
  }
  EXPECT_GT(text, 20);
}

TEST(ChartTest, LegendGoesToAnEmptyCorner) {
  Figure figure;
  Chart chart;
  chart.x = {"epoch", 0, 10};
  chart.y = {"loss", 0, 10};
  // Falling from upper left to lower right: upper right is empty.
  chart.series.push_back({"train", {0, 5, 10}, {10, 5, 0}, kRed});
  figure.charts.push_back(chart);
  const Image image = RenderFigure(figure);
  int right_top = 0, elsewhere = 0;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      if (Pixel(image, x, y) != kLegendBorder || RunLength(image, x, y, true) < 30) continue;
      (x > image.width / 2 && y < image.height / 2 ? right_top : elsewhere) += 1;
    }
  }
  EXPECT_GT(right_top, 100);  // the box's outline
  EXPECT_EQ(elsewhere, 0);
  // The legend's sample line is red, inside the box.
  EXPECT_GT(CountColor(image, kRed, image.width / 2), 40);
}

TEST(ChartTest, PaletteDashesMarkersGapsAndDiagonal) {
  Chart chart;
  chart.diagonal = true;
  chart.x = {"false positive rate", 0, 1};
  chart.y = {"true positive rate", 0, 1};
  chart.series.push_back({"solid", {0, 0.2, 1}, {0, 0.8, 1}});
  chart.series.push_back({"dashed", {0, 0.5, 1}, {0, 0.6, 1}, 0, /*dashed=*/true});
  chart.series.push_back({"", {0.1, 0.3, NAN, 0.6}, {0.5, 0.5, NAN, 0.5}, 0, false, true});
  Figure figure;
  figure.charts.push_back(chart);
  const Image image = RenderFigure(figure);
  EXPECT_GT(CountColor(image, 0x1f77b4), 200);  // palette colour 1
  EXPECT_GT(CountColor(image, 0xff7f0e), 100);  // palette colour 2 (dashed: fewer)
  EXPECT_GT(CountColor(image, 0x2ca02c), 30);   // palette colour 3 (markers)
  // The diagonal (dashed grey), alone in a chart without legend.
  Chart diagonal;
  diagonal.diagonal = true;
  diagonal.x = diagonal.y = {"", 0, 1};
  figure.charts = {diagonal};
  const Image with_diagonal = RenderFigure(figure);
  EXPECT_GT(CountInsidePlot(with_diagonal, 0x9a9a9a), 150);
  // On y = x: the pixel at the plot's centre or one next to it is grey (dash or gap aside,
  // any grey at all must be near the diagonal).
  const auto [top, bottom] = SpineRows(with_diagonal, with_diagonal.width / 2);
  const auto [left, right] = SpineColumns(with_diagonal, with_diagonal.height / 2);
  for (int y = top + 1; y < bottom; ++y) {
    for (int x = left + 1; x < right; ++x) {
      if (Pixel(with_diagonal, x, y) != 0x9a9a9a) continue;
      const double along = static_cast<double>(x - left) / (right - left);
      const double up = static_cast<double>(bottom - y) / (bottom - top);
      EXPECT_NEAR(along, up, 0.01) << x << "," << y;
    }
  }
  figure.charts[0].diagonal = false;
  EXPECT_EQ(CountInsidePlot(RenderFigure(figure), 0x9a9a9a), 0);
}

TEST(ChartTest, PanelsSideBySide) {
  Figure figure;
  figure.panel_width = 400;
  figure.panel_height = 300;
  figure.charts.push_back(HorizontalLineChart("left"));
  Chart right = HorizontalLineChart("right");
  right.series[0].rgb = 0x00aa00;
  figure.charts.push_back(right);
  const Image image = RenderFigure(figure);
  EXPECT_EQ(image.width, 800);
  EXPECT_EQ(image.height, 300);
  EXPECT_GT(CountColor(image, kRed, 0, 400), 300);
  EXPECT_EQ(CountColor(image, kRed, 400, 800), 0);
  EXPECT_GT(CountColor(image, 0x00aa00, 400, 800), 300);
  EXPECT_EQ(CountColor(image, 0x00aa00, 0, 400), 0);
}

TEST(ChartTest, FitsTheDataWhenTheAxisIsOpen) {
  Chart chart;
  chart.series.push_back({"", {1, 2, 3}, {100, 300, 200}, kRed});
  Figure figure;
  figure.charts.push_back(chart);
  const Image image = RenderFigure(figure);
  // With a 5% margin every point is inside: the line is not clipped (lots of red).
  EXPECT_GT(CountColor(image, kRed), 500);
}

TEST(ChartTest, SinglePointIsVisible) {
  Chart chart;
  chart.series.push_back({"val", {1}, {0.25}, kRed});
  Figure figure;
  figure.charts.push_back(chart);
  // A dot in the middle of the plot even without markers (the legend sample is not counted:
  // it is a horizontal run).
  const Image image = RenderFigure(figure);
  EXPECT_GT(CountInsidePlot(image, kRed) - CountInRuns(image, kRed, 10), 3);
}

TEST(ChartTest, PointsFarOutsideTheAxesKeepTheirSlope) {
  // From (0, 0) to (1e12, 1e12) on [0, 1] x [0, 1]: the visible part is the diagonal.
  Chart chart;
  chart.x = chart.y = {"", 0, 1};
  chart.series.push_back({"", {0, 1e12}, {0, 1e12}, kRed});
  chart.series.push_back({"", {0.5, 1e300, 0.7}, {0.2, -1e300, 0.1}, 0x00aa00, true, true});
  Figure figure;
  figure.charts.push_back(chart);
  const Image image = RenderFigure(figure);
  const auto [top, bottom] = SpineRows(image, image.width / 2);
  const auto [left, right] = SpineColumns(image, image.height / 2);
  int red = 0;
  for (int y = top + 1; y < bottom; ++y) {
    for (int x = left + 1; x < right; ++x) {
      if (Pixel(image, x, y) != kRed) continue;
      ++red;
      EXPECT_NEAR(static_cast<double>(x - left) / (right - left),
                  static_cast<double>(bottom - y) / (bottom - top), 0.01);
    }
  }
  EXPECT_GT(red, 300);
  // Ranges a double cannot step through still end (with at most 100 ticks).
  Chart tiny;
  tiny.series.push_back({"", {1e17, 1e17 + 32}, {1, 2}});
  figure.charts = {tiny};
  EXPECT_EQ(RenderFigure(figure).width, 640);
}

TEST(ChartTest, MismatchedSeriesDies) {
  Figure figure;
  Chart chart;
  chart.series.push_back({"bad", {1, 2, 3}, {1, 2}});
  figure.charts.push_back(chart);
  EXPECT_DEATH(RenderFigure(figure), "series 'bad': 3 x values but 2 y values");
}

TEST(FontTest, CoversPrintableAsciiAndMeasuresText) {
  for (const Font* font : {&SmallFont(), &LargeFont()}) {
    for (char c = '!'; c <= '~'; ++c) {
      const Glyph& g = font->GlyphFor(c);
      EXPECT_GT(g.width * g.height, 0) << c;
      int ink = 0;
      for (int i = 0; i < g.width * g.height; ++i) ink += font->alpha[g.offset + i];
      EXPECT_GT(ink, 0) << "glyph '" << c << "' is blank";
    }
    EXPECT_EQ(font->GlyphFor('\x01').advance_64, font->GlyphFor('?').advance_64);
    EXPECT_GT(font->TextWidth("AUC"), font->TextWidth("A"));
  }
  EXPECT_GT(LargeFont().TextWidth("loss"), SmallFont().TextWidth("loss"));
}

// --- PNG.

dlib::array2d<dlib::rgb_pixel> LoadPng(const std::string& path) {
  dlib::array2d<dlib::rgb_pixel> loaded;
  dlib::load_png(loaded, path);
  return loaded;
}

void ExpectSamePixels(const dlib::array2d<dlib::rgb_pixel>& loaded, int width, int height,
                      const std::vector<uint8_t>& rgb) {
  ASSERT_EQ(loaded.nc(), width);
  ASSERT_EQ(loaded.nr(), height);
  int differ = 0;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const uint8_t* p = &rgb[(static_cast<size_t>(y) * width + x) * 3];
      const dlib::rgb_pixel& q = loaded[y][x];
      differ += q.red != p[0] || q.green != p[1] || q.blue != p[2];
    }
  }
  EXPECT_EQ(differ, 0);
}

TEST(PngTest, FigureRoundTripsThroughLibpng) {
  Figure figure;
  Chart chart = HorizontalLineChart("train");
  chart.title = "Loss";
  figure.charts = {chart, chart};
  const std::string path = base::testing::TestTempPath("figure.png");
  ASSERT_TRUE(WriteFigurePng(figure, path).ok());
  const Image image = RenderFigure(figure);
  ExpectSamePixels(LoadPng(path), image.width, image.height, image.rgb);
  EXPECT_LT(std::filesystem::file_size(path), 60000u) << "flat charts compress well";
}

TEST(PngTest, NoiseRoundTrips) {
  // Random pixels exercise every row filter.
  std::mt19937 rng(7);
  const int width = 37, height = 23;
  std::vector<uint8_t> rgb(width * height * 3);
  for (auto& v : rgb) v = static_cast<uint8_t>(rng());
  for (int i = 0; i < width * 3; ++i) rgb[5 * width * 3 + i] = 200;  // a flat row
  const std::string path = base::testing::TestTempPath("noise.png");
  {
    std::ofstream file(path, std::ios::binary);
    file << EncodePng(width, height, rgb);
  }
  ExpectSamePixels(LoadPng(path), width, height, rgb);
}

TEST(PngTest, WriteErrorNamesThePath) {
  Figure figure;
  figure.charts.push_back(HorizontalLineChart(""));
  const std::string path = base::testing::TestTempPath("no_such_dir/roc.png");
  const absl::Status status = WriteFigurePng(figure, path);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr(path));
}

// --- Sample figures for people to look at (not checked).

TEST(SampleFigures, Write) {
  const char* out = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  if (out == nullptr) GTEST_SKIP() << "TEST_UNDECLARED_OUTPUTS_DIR unset";
  std::vector<double> epochs, train_loss, val_loss, val_auc, frame_auc;
  for (int e = 1; e <= 24; ++e) {
    epochs.push_back(e);
    train_loss.push_back(0.69 * std::exp(-e / 7.0) + 0.05 + 0.01 * std::sin(e));
    val_loss.push_back(0.66 * std::exp(-e / 9.0) + 0.12 + 0.004 * e * (e > 15));
    val_auc.push_back(std::min(1.0, 1 - 0.45 * std::exp(-e / 5.0) - 0.02 * std::cos(e) + 0.01));
    frame_auc.push_back(1 - 0.48 * std::exp(-e / 6.0) - 0.03);
  }
  Figure curves;
  Chart loss{"Loss", {"epoch"}, {"binary cross-entropy"}, {}};
  loss.series.push_back({"train", epochs, train_loss});
  loss.series.push_back({"validation", epochs, val_loss});
  Chart auc{"Validation ROC AUC", {"epoch"}, {"AUC", 0.5, 1.0}, {}};
  auc.series.push_back({"video level", epochs, val_auc, 0, false, true});
  auc.series.push_back({"frame level", epochs, frame_auc, 0, true});
  curves.charts = {loss, auc};
  ASSERT_TRUE(WriteFigurePng(curves, std::string(out) + "/curves.png").ok());

  Figure roc;
  Chart chart{"ROC (AUC 0.912)", {"false positive rate", 0, 1}, {"true positive rate", 0, 1}, {}};
  chart.diagonal = true;
  std::vector<double> fpr, tpr;
  for (int i = 0; i <= 40; ++i) {
    fpr.push_back(i / 40.0);
    tpr.push_back(std::pow(i / 40.0, 0.25));
  }
  chart.series.push_back({"video level", fpr, tpr});
  for (double& t : tpr) t = std::pow(t, 1.6);
  chart.series.push_back({"frame level", fpr, tpr, 0, true});
  roc.charts = {chart};
  ASSERT_TRUE(WriteFigurePng(roc, std::string(out) + "/roc.png").ok());

  // A reliability diagram, a first-epoch chart (one point) and awkward ranges.
  Figure other;
  other.panel_width = 480;
  other.panel_height = 360;
  Chart reliability{"Reliability (ECE 0.041)", {"mean score", 0, 1}, {"fraction fake", 0, 1}, {}};
  reliability.diagonal = true;
  reliability.series.push_back({"validation",
                                {0.05, 0.15, 0.3, 0.45, 0.62, 0.75, 0.93},
                                {0.02, 0.1, 0.22, 0.5, 0.7, 0.8, 0.97},
                                0,
                                false,
                                true});
  Chart first{"After one epoch", {"epoch"}, {"loss"}, {}};
  first.series.push_back({"train", {1}, {0.6931}});
  first.series.push_back({"validation", {1}, {0.7012}, 0, false, true});
  Chart wide{"Throughput", {"step"}, {"frames/s"}, {}};
  wide.series.push_back({"", {-3000, 0, 12000, 25000}, {-0.002, 0.0031, 0.0042, 0.0012}});
  other.charts = {reliability, first, wide};
  ASSERT_TRUE(WriteFigurePng(other, std::string(out) + "/other.png").ok());
}

}  // namespace
}  // namespace eval::plot
