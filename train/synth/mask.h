// Face masks: the convex hull of chosen landmarks, optionally shrunk, randomly deformed and
// feathered (Gaussian-blurred) so the blend boundary is soft, as in FaceSwap and SBI.
#ifndef TRAIN_SYNTH_MASK_H_
#define TRAIN_SYNTH_MASK_H_

#include <random>
#include <string>
#include <vector>

#include "train/synth/image.h"

namespace train::synth {

// Convex hull (Andrew's monotone chain), counter-clockwise in a y-up frame, no repeated end.
std::vector<Point> ConvexHull(std::vector<Point> points);

// 1 inside the polygon (even-odd rule, pixel centres), 0 outside.
Mask FillPolygon(const std::vector<Point>& polygon, int width, int height);

// Which landmarks span the mask (dlib's 68-point indexing).
enum class MaskShape {
  kFullHull,      // all 68: jaw line, eyebrows (the FaceSwap mask)
  kInnerFace,     // eyebrows, eyes, nose and mouth only (17..67): keeps the jaw line real
  kLowerFace,     // jaw, nose and mouth: the cheeks and mouth (no eyes)
  kForeheadHull,  // all 68 plus the eyebrows lifted by 30% of the brow-chin distance
};
const char* MaskShapeName(MaskShape shape);

struct MaskOptions {
  MaskShape shape = MaskShape::kFullHull;
  double shrink = 0.05;      // hull vertices move this fraction towards the centroid
  double feather = 0.08;     // Gaussian sigma as a fraction of the face size (hull width)
  double deform = 0.0;       // random radial deformation amplitude (fraction of face size)
  uint64_t deform_seed = 0;  // the deformation's random field (fixed per clip or frame)
};

// The hull polygon for `landmarks` (68 points) after shape selection, shrink and deformation.
std::vector<Point> FaceMaskPolygon(const std::vector<Point>& landmarks, const MaskOptions& options);

// The feathered mask in an image of width x height. Feathering happens inside the polygon
// (the binary mask is eroded by ~2 sigma before blurring), so the mask is 0 outside it.
Mask FaceMask(const std::vector<Point>& landmarks, int width, int height,
              const MaskOptions& options);

// The face size used to scale mask parameters: the width of the jaw line (points 0..16).
double FaceSize(const std::vector<Point>& landmarks);

}  // namespace train::synth

#endif  // TRAIN_SYNTH_MASK_H_
