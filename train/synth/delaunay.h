// Delaunay triangulation of a point set (Bowyer-Watson), used to cut a face into the
// triangles that the piecewise-affine warp maps from one face's landmarks to another's.
#ifndef TRAIN_SYNTH_DELAUNAY_H_
#define TRAIN_SYNTH_DELAUNAY_H_

#include <array>
#include <vector>

#include "train/synth/image.h"

namespace train::synth {

using Triangle = std::array<int, 3>;  // indices into the point list, counter-clockwise

// Triangles covering the convex hull of `points`, none with another point strictly inside
// its circumcircle. Points closer than 1e-6 to an earlier point are skipped (their index
// never appears). O(n^2); meant for landmark sets (tens to hundreds of points).
std::vector<Triangle> DelaunayTriangulate(const std::vector<Point>& points);

}  // namespace train::synth

#endif  // TRAIN_SYNTH_DELAUNAY_H_
