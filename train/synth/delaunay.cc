// Bowyer-Watson: start from a super-triangle holding every point; insert points one at a
// time, delete the triangles whose circumcircle contains the new point, and re-triangulate
// the resulting star-shaped hole by joining its boundary edges to the point.
#include "train/synth/delaunay.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

namespace train::synth {
namespace {

struct Tri {
  int a, b, c;
  double cx, cy, r2;  // circumcircle centre and squared radius
};

// Orientation: > 0 when (a, b, c) turn counter-clockwise in a y-up frame.
double Cross(const Point& a, const Point& b, const Point& c) {
  return (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
}

Tri MakeTri(const std::vector<Point>& p, int a, int b, int c) {
  if (Cross(p[a], p[b], p[c]) < 0) std::swap(b, c);
  // Circumcentre: the point equidistant from a, b, c, solving the 2x2 system
  //   2 (b - a) . o = |b|^2 - |a|^2,  2 (c - a) . o = |c|^2 - |a|^2.
  const double ax = p[a].x, ay = p[a].y, bx = p[b].x - ax, by = p[b].y - ay;
  const double cx = p[c].x - ax, cy = p[c].y - ay;
  const double d = 2 * (bx * cy - by * cx);
  Tri t{a, b, c, 0, 0, 0};
  if (std::abs(d) < 1e-12) {  // collinear: an infinite circle that contains everything
    t.cx = ax, t.cy = ay, t.r2 = 1e300;
    return t;
  }
  const double b2 = bx * bx + by * by, c2 = cx * cx + cy * cy;
  const double ox = (cy * b2 - by * c2) / d, oy = (bx * c2 - cx * b2) / d;
  t.cx = ax + ox, t.cy = ay + oy, t.r2 = ox * ox + oy * oy;
  return t;
}

}  // namespace

std::vector<Triangle> DelaunayTriangulate(const std::vector<Point>& input) {
  const int n = static_cast<int>(input.size());
  if (n < 3) return {};
  std::vector<Point> p = input;
  double x0 = p[0].x, x1 = x0, y0 = p[0].y, y1 = y0;
  for (const Point& q : p) {
    x0 = std::min(x0, q.x), x1 = std::max(x1, q.x);
    y0 = std::min(y0, q.y), y1 = std::max(y1, q.y);
  }
  const double span = std::max({x1 - x0, y1 - y0, 1.0}) * 20;
  const double mx = 0.5 * (x0 + x1), my = 0.5 * (y0 + y1);
  p.push_back({mx - span, my - span});
  p.push_back({mx + span, my - span});
  p.push_back({mx, my + span});
  std::vector<Tri> tris = {MakeTri(p, n, n + 1, n + 2)};

  for (int i = 0; i < n; ++i) {
    bool duplicate = false;
    for (int j = 0; j < i && !duplicate; ++j) {
      duplicate = std::hypot(p[i].x - p[j].x, p[i].y - p[j].y) < 1e-6;
    }
    if (duplicate) continue;
    // Edges of the cavity: edges of removed triangles that only one removed triangle has.
    std::map<std::pair<int, int>, int> edge_count;
    std::vector<std::pair<int, int>> edges;
    std::vector<Tri> kept;
    kept.reserve(tris.size());
    for (const Tri& t : tris) {
      const double dx = p[i].x - t.cx, dy = p[i].y - t.cy;
      if (dx * dx + dy * dy < t.r2) {
        for (auto [u, v] : {std::pair{t.a, t.b}, std::pair{t.b, t.c}, std::pair{t.c, t.a}}) {
          edges.push_back({u, v});
          ++edge_count[{std::min(u, v), std::max(u, v)}];
        }
      } else {
        kept.push_back(t);
      }
    }
    for (auto [u, v] : edges) {
      if (edge_count[{std::min(u, v), std::max(u, v)}] == 1) kept.push_back(MakeTri(p, u, v, i));
    }
    tris = std::move(kept);
  }

  std::vector<Triangle> result;
  for (const Tri& t : tris) {
    if (t.a >= n || t.b >= n || t.c >= n) continue;  // touches the super-triangle
    if (std::abs(Cross(p[t.a], p[t.b], p[t.c])) < 1e-12) continue;
    result.push_back({t.a, t.b, t.c});
  }
  std::sort(result.begin(), result.end());
  return result;
}

}  // namespace train::synth
