// Training-time self-blending: turns real face-crop clips into fakes inside the data loader
// (SBI's on-the-fly recipe), so the trainer gets an endless stream of fresh fakes from real
// footage alone. Works on the loader's tensors: [T, 3, H, W] float RGB in [0, 1], before
// normalization, with per-frame landmarks in crop pixels or, without them, the canonical
// aligned-crop face (video/align.h's template).
#ifndef TRAIN_SYNTH_ONLINE_SELF_BLEND_H_
#define TRAIN_SYNTH_ONLINE_SELF_BLEND_H_

#include <random>
#include <vector>

#include "nn/tensor.h"
#include "train/synth/landmark_smoothing.h"
#include "train/synth/self_blend.h"

namespace train::synth {

struct OnlineSelfBlendOptions {
  double fake_probability = 0.5;  // chance that a clip becomes a fake
  // true: one parameter set per clip (a temporally consistent fake); false: new parameters
  // every frame (flickering, as image-level SBI).
  bool consistent_over_clip = true;
  double crop_margin = 1.3;  // the aligned crops' margin (for the template landmarks)
};

// A labelled training clip.
struct LabelledClip {
  nn::Tensor crops;  // [T, 3, H, W] float32 in [0, 1]
  bool fake = false;
};

// The self-blend of every frame of `crops` ([T, 3, H, W] float32 CPU, values in [0, 1]) with
// parameters from `rng`, in place. `landmarks`: one set per frame in crop pixels, or empty
// for the template. Programmer errors (shape, dtype, device, landmark count) are checks.
void SelfBlendCrops(nn::Tensor* crops, const std::vector<Landmarks>& landmarks,
                    const OnlineSelfBlendOptions& options, std::mt19937_64& rng);

// Draws real-or-fake: with probability fake_probability the clip is self-blended (a copy;
// `crops` is not modified) and labelled fake, else returned as is, labelled real.
LabelledClip MaybeSelfBlend(const nn::Tensor& crops, const std::vector<Landmarks>& landmarks,
                            const OnlineSelfBlendOptions& options, std::mt19937_64& rng);

}  // namespace train::synth

#endif  // TRAIN_SYNTH_ONLINE_SELF_BLEND_H_
