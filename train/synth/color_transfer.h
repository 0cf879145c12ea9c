// Colour transfer in CIE Lab (Reinhard et al. 2001): shift and scale the source face's
// per-channel Lab statistics to the target face's, so the swapped skin tone and lighting
// match the head it is placed on.
#ifndef TRAIN_SYNTH_COLOR_TRANSFER_H_
#define TRAIN_SYNTH_COLOR_TRANSFER_H_

#include "train/synth/image.h"

namespace train::synth {

// sRGB (0..255, D65) <-> CIE L*a*b* (L in 0..100).
void RgbToLab(const float rgb[3], float lab[3]);
void LabToRgb(const float lab[3], float rgb[3]);

// Mask-weighted mean and standard deviation of each Lab channel.
struct LabStats {
  double mean[3] = {0, 0, 0};
  double stddev[3] = {1, 1, 1};
  double weight = 0;  // total mask weight (0: no pixels)
};

// Statistics over the pixels where `weights` > 0 (weighted by it), within `region`.
LabStats ComputeLabStats(const Image& image, const Mask& weights, const Rect& region);

// Exponential moving average of statistics across frames (keeps the colour stable in time):
// returns (1 - momentum) * current + momentum * previous. A previous with weight 0 is ignored.
LabStats BlendStats(const LabStats& previous, const LabStats& current, double momentum);

// For each pixel in `region` where `where` > 0 (or everywhere in region when `where` is
// null), maps every Lab channel l -> (l - from.mean) * to.std / from.std + to.mean, then moves
// the result by `strength` (1: full transfer, 0: unchanged) and adds `lab_offset`
// (deliberate colour mismatch). Ratios of std are clamped to [0.33, 3].
void TransferColor(const LabStats& from, const LabStats& to, double strength,
                   const float lab_offset[3], const Rect& region, const Mask* where, Image* image);

}  // namespace train::synth

#endif  // TRAIN_SYNTH_COLOR_TRANSFER_H_
