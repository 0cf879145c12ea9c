// Tests for Bowyer-Watson: the empty-circumcircle property, coverage of the convex hull,
// duplicates, and the 68-point face.
#include "train/synth/delaunay.h"

#include <cmath>
#include <random>

#include "gtest/gtest.h"
#include "train/synth/face_template.h"
#include "train/synth/mask.h"

namespace train::synth {
namespace {

double Area(const Point& a, const Point& b, const Point& c) {
  return 0.5 * ((b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x));
}

double PolygonArea(const std::vector<Point>& p) {
  double a = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const Point& q = p[(i + 1) % p.size()];
    a += p[i].x * q.y - q.x * p[i].y;
  }
  return std::abs(a) / 2;
}

void ExpectDelaunay(const std::vector<Point>& p, const std::vector<Triangle>& tris) {
  double total = 0;
  for (const Triangle& t : tris) {
    const Point &a = p[t[0]], &b = p[t[1]], &c = p[t[2]];
    EXPECT_GT(Area(a, b, c), 0) << "counter-clockwise, non-degenerate";
    total += Area(a, b, c);
    // In-circle determinant: > 0 means d is inside the circumcircle of ccw (a, b, c).
    for (size_t i = 0; i < p.size(); ++i) {
      if (int(i) == t[0] || int(i) == t[1] || int(i) == t[2]) continue;
      const Point& d = p[i];
      const double ax = a.x - d.x, ay = a.y - d.y, bx = b.x - d.x, by = b.y - d.y;
      const double cx = c.x - d.x, cy = c.y - d.y;
      const double det = (ax * ax + ay * ay) * (bx * cy - cx * by) -
                         (bx * bx + by * by) * (ax * cy - cx * ay) +
                         (cx * cx + cy * cy) * (ax * by - bx * ay);
      EXPECT_LE(det, 1e-6 * (1 + std::abs(det))) << "point " << i << " inside a circumcircle";
    }
  }
  EXPECT_NEAR(total, PolygonArea(ConvexHull(p)), 1e-6 * total);
}

TEST(DelaunayTest, SquareWithCentre) {
  const std::vector<Point> p = {{0, 0}, {10, 0}, {10, 10}, {0, 10}, {5, 5}};
  const auto tris = DelaunayTriangulate(p);
  EXPECT_EQ(tris.size(), 4u);
  ExpectDelaunay(p, tris);
}

TEST(DelaunayTest, RandomPointsAreDelaunayAndCoverTheHull) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 100);
  std::vector<Point> p(60);
  for (Point& q : p) q = {u(rng), u(rng)};
  const auto tris = DelaunayTriangulate(p);
  // Euler: 2n - 2 - h triangles for n points with h on the hull.
  EXPECT_EQ(tris.size(), 2 * p.size() - 2 - ConvexHull(p).size());
  ExpectDelaunay(p, tris);
}

TEST(DelaunayTest, DuplicatesAreSkippedAndFacesTriangulate) {
  std::vector<Point> p = MeanFaceLandmarks();
  for (Point& q : p) q.x *= 200, q.y *= 200;
  p.push_back(p[30]);  // a duplicate
  const auto tris = DelaunayTriangulate(p);
  for (const Triangle& t : tris)
    for (int v : t) EXPECT_NE(v, 68);
  p.pop_back();
  ExpectDelaunay(p, tris);
  EXPECT_TRUE(DelaunayTriangulate({{0, 0}, {1, 1}}).empty());
}

}  // namespace
}  // namespace train::synth
