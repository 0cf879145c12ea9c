// Tests for convex hulls, polygon filling and feathered, deformed face masks.
#include "train/synth/mask.h"

#include "gtest/gtest.h"
#include "train/synth/face_template.h"

namespace train::synth {
namespace {

Landmarks Face(double size, double cx, double cy) {
  Landmarks lm = MeanFaceLandmarks();
  for (Point& p : lm) p = {cx + (p.x - 0.5) * size, cy + (p.y - 0.5) * size};
  return lm;
}

TEST(MaskTest, ConvexHullDropsInteriorPoints) {
  const auto hull = ConvexHull({{0, 0}, {4, 0}, {4, 4}, {0, 4}, {2, 2}, {1, 3}, {2, 0}});
  EXPECT_EQ(hull.size(), 4u);
}

TEST(MaskTest, FilledAreaMatchesPolygonArea) {
  const Mask m = FillPolygon({{10.5, 10.5}, {40.5, 10.5}, {40.5, 30.5}, {10.5, 30.5}}, 60, 50);
  double area = 0;
  for (float a : m.alpha) area += a;
  EXPECT_NEAR(area, 30 * 20, 40);
  EXPECT_EQ(m.at(5, 5), 0.f);
  EXPECT_EQ(m.at(20, 20), 1.f);
}

TEST(MaskTest, FeatheredMaskIsZeroOutsideTheHullAndOneInside) {
  const Landmarks lm = Face(100, 100, 100);
  MaskOptions options;
  options.feather = 0.05;
  const Mask m = FaceMask(lm, 200, 200, options);
  const Mask hull = FillPolygon(ConvexHull(lm), 200, 200);
  for (int y = 0; y < 200; ++y) {
    for (int x = 0; x < 200; ++x) {
      if (hull.at(x, y) == 0) {
        ASSERT_LT(m.at(x, y), 0.02f) << x << "," << y;
      }
    }
  }
  EXPECT_GT(m.at(int(lm[30].x), int(lm[30].y)), 0.99f);  // nose tip
  bool soft = false;
  for (float a : m.alpha) soft |= a > 0.2f && a < 0.8f;
  EXPECT_TRUE(soft);
}

TEST(MaskTest, ShapesAndDeformationDiffer) {
  const Landmarks lm = Face(100, 100, 100);
  auto area = [&](const MaskOptions& o) {
    double a = 0;
    for (float v : FaceMask(lm, 200, 200, o).alpha) a += v;
    return a;
  };
  MaskOptions full, inner, deformed, deformed_again;
  inner.shape = MaskShape::kInnerFace;
  EXPECT_LT(area(inner), 0.8 * area(full));
  deformed.deform = deformed_again.deform = 0.06;
  deformed.deform_seed = deformed_again.deform_seed = 42;
  EXPECT_EQ(FaceMask(lm, 200, 200, deformed).alpha, FaceMask(lm, 200, 200, deformed_again).alpha);
  EXPECT_NE(FaceMask(lm, 200, 200, deformed).alpha, FaceMask(lm, 200, 200, full).alpha);
}

}  // namespace
}  // namespace train::synth
