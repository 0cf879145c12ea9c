// Piecewise-affine and global affine warps by inverse mapping with bilinear sampling.
#include "train/synth/warp.h"

#include <algorithm>
#include <cmath>

#include "nn/check.h"

namespace train::synth {

Affine Affine::Inverse() const {
  // [a b; d e]^-1 = [e -b; -d a] / (ae - bd); the offset maps back through it.
  const double det = a * e - b * d;
  NN_CHECK(std::abs(det) > 1e-12) << "singular affine transform, det " << det;
  Affine inv;
  inv.a = e / det, inv.b = -b / det, inv.d = -d / det, inv.e = a / det;
  inv.c = -(inv.a * c + inv.b * f);
  inv.f = -(inv.d * c + inv.e * f);
  return inv;
}

void WarpPiecewiseAffine(const Image& source, const std::vector<Point>& src_points,
                         const std::vector<Point>& dst_points,
                         const std::vector<Triangle>& triangles, Image* dst, Mask* coverage) {
  NN_CHECK_EQ(src_points.size(), dst_points.size()) << "landmark sets differ in size";
  if (coverage != nullptr) *coverage = Mask(dst->width, dst->height, 0.f);
  for (const Triangle& t : triangles) {
    for (int v : t) NN_CHECK(v >= 0 && v < int(dst_points.size())) << "triangle index " << v;
    const Point &d0 = dst_points[t[0]], &d1 = dst_points[t[1]], &d2 = dst_points[t[2]];
    const Point &s0 = src_points[t[0]], &s1 = src_points[t[1]], &s2 = src_points[t[2]];
    // Barycentric coordinates of p in the destination triangle:
    //   p = d0 + u (d1 - d0) + v (d2 - d0), solved with Cramer's rule; the source point is
    //   s0 + u (s1 - s0) + v (s2 - s0).
    const double e1x = d1.x - d0.x, e1y = d1.y - d0.y, e2x = d2.x - d0.x, e2y = d2.y - d0.y;
    const double det = e1x * e2y - e1y * e2x;
    if (std::abs(det) < 1e-9) continue;
    const int x0 = std::max(0, int(std::floor(std::min({d0.x, d1.x, d2.x}))));
    const int x1 = std::min(dst->width - 1, int(std::ceil(std::max({d0.x, d1.x, d2.x}))));
    const int y0 = std::max(0, int(std::floor(std::min({d0.y, d1.y, d2.y}))));
    const int y1 = std::min(dst->height - 1, int(std::ceil(std::max({d0.y, d1.y, d2.y}))));
    constexpr double kEdge = -1e-7;  // shared edges belong to both triangles: no seams
    for (int y = y0; y <= y1; ++y) {
      for (int x = x0; x <= x1; ++x) {
        const double px = x - d0.x, py = y - d0.y;
        const double u = (px * e2y - py * e2x) / det;
        const double v = (e1x * py - e1y * px) / det;
        if (u < kEdge || v < kEdge || u + v > 1 - kEdge) continue;
        const double sx = s0.x + u * (s1.x - s0.x) + v * (s2.x - s0.x);
        const double sy = s0.y + u * (s1.y - s0.y) + v * (s2.y - s0.y);
        SampleBilinear(source, sx, sy, dst->at(x, y));
        if (coverage != nullptr) coverage->at(x, y) = 1.f;
      }
    }
  }
}

Image WarpAffine(const Image& source, const Affine& transform) {
  const Affine inverse = transform.Inverse();
  Image out(source.width, source.height);
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      const Point s = inverse.Apply({double(x), double(y)});
      SampleBilinear(source, s.x, s.y, out.at(x, y));
    }
  }
  return out;
}

}  // namespace train::synth
