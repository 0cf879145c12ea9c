// Tests for the piecewise-affine and global affine warps.
#include "train/synth/warp.h"

#include <cmath>

#include "gtest/gtest.h"

namespace train::synth {
namespace {

Image Ramp(int w, int h) {
  Image image(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      image.at(x, y)[0] = float(3 * x + 2 * y), image.at(x, y)[1] = float(x * y % 50);
  return image;
}

TEST(WarpTest, IdenticalLandmarksReproduceTheImageInsideTheHull) {
  const Image src = Ramp(40, 40);
  const std::vector<Point> pts = {{5, 5}, {35, 5}, {35, 35}, {5, 35}, {20, 18}};
  const auto tris = DelaunayTriangulate(pts);
  Image dst(40, 40, 7.f);
  Mask coverage;
  WarpPiecewiseAffine(src, pts, pts, tris, &dst, &coverage);
  for (int y = 0; y < 40; ++y) {
    for (int x = 0; x < 40; ++x) {
      const bool inside = x >= 5 && x <= 35 && y >= 5 && y <= 35;
      EXPECT_EQ(coverage.at(x, y) > 0, inside) << x << "," << y;
      EXPECT_FLOAT_EQ(dst.at(x, y)[0], inside ? src.at(x, y)[0] : 7.f) << x << "," << y;
    }
  }
}

TEST(WarpTest, TranslatedLandmarksMoveTheContent) {
  const Image src = Ramp(50, 50);
  const std::vector<Point> s = {{5, 5}, {30, 5}, {30, 30}, {5, 30}};
  std::vector<Point> d = s;
  for (Point& p : d) p.x += 10, p.y += 4;
  Image dst(50, 50);
  WarpPiecewiseAffine(src, s, d, DelaunayTriangulate(s), &dst, nullptr);
  EXPECT_FLOAT_EQ(dst.at(25, 20)[0], src.at(15, 16)[0]);
  EXPECT_FLOAT_EQ(dst.at(38, 30)[1], src.at(28, 26)[1]);
}

TEST(WarpTest, AffineInverseAndWholeImageWarp) {
  Affine t;
  t.a = 1.1, t.b = 0.2, t.c = 3, t.d = -0.1, t.e = 0.9, t.f = -2;
  const Point p = t.Inverse().Apply(t.Apply({7, 11}));
  EXPECT_NEAR(p.x, 7, 1e-9);
  EXPECT_NEAR(p.y, 11, 1e-9);
  Affine shift;
  shift.c = 2;
  const Image src = Ramp(20, 10);
  const Image out = WarpAffine(src, shift);
  EXPECT_FLOAT_EQ(out.at(12, 5)[0], src.at(10, 5)[0]);
}

}  // namespace
}  // namespace train::synth
