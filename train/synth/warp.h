// Piecewise-affine warp: moves an image so that its landmarks land on another set of
// landmarks, one affine map per Delaunay triangle (the FaceSwap recipe of FaceForensics++).
#ifndef TRAIN_SYNTH_WARP_H_
#define TRAIN_SYNTH_WARP_H_

#include <vector>

#include "train/synth/delaunay.h"
#include "train/synth/image.h"

namespace train::synth {

// For every triangle t, the pixels of `dst` inside triangle t of `dst_points` receive the
// bilinear sample of `source` at the corresponding point of triangle t of `src_points`
// (same barycentric coordinates). Pixels outside every triangle are left unchanged;
// `coverage` (optional, resized to dst's size and cleared) is 1 where a triangle wrote.
// Degenerate destination triangles (zero area) write nothing.
void WarpPiecewiseAffine(const Image& source, const std::vector<Point>& src_points,
                         const std::vector<Point>& dst_points,
                         const std::vector<Triangle>& triangles, Image* dst, Mask* coverage);

// A global affine transform x' = a x + b y + c, y' = d x + e y + f.
struct Affine {
  double a = 1, b = 0, c = 0, d = 0, e = 1, f = 0;
  Point Apply(Point p) const { return {a * p.x + b * p.y + c, d * p.x + e * p.y + f}; }
  Affine Inverse() const;
};

// dst(x) = source(inverse(x)) for every pixel: warps a whole image by `transform`
// (source -> dst coordinates), clamping at the edges.
Image WarpAffine(const Image& source, const Affine& transform);

}  // namespace train::synth

#endif  // TRAIN_SYNTH_WARP_H_
