// Self-blended images (Shiohara & Yamasaki, CVPR 2022): a face is blended onto a slightly
// altered copy of itself (colour, sharpness, scale and translation jitter) through a randomly
// deformed, feathered landmark mask. The result shows only blending artefacts (boundary,
// colour and frequency mismatch), which is what makes detectors trained on it generalize.
#ifndef TRAIN_SYNTH_SELF_BLEND_H_
#define TRAIN_SYNTH_SELF_BLEND_H_

#include <random>

#include "train/synth/image.h"
#include "train/synth/landmark_smoothing.h"
#include "train/synth/mask.h"

namespace train::synth {

struct SelfBlendParams {
  float channel_offset[3] = {0, 0, 0};  // added to R, G, B (0..255 scale)
  float brightness = 0;                 // added to all channels
  float contrast = 1;                   // about mid-grey 128
  float saturation = 1;                 // about the pixel's luma
  double sharpness = 0;                 // < 0: Gaussian blur, sigma = -sharpness * face size / 100;
                         // > 0: unsharp mask of that amount (sigma = face size / 100)
  double scale = 1;                 // of the source about the face centre
  double shift_x = 0, shift_y = 0;  // fractions of the face size
  MaskOptions mask;
  double blend_ratio = 1;  // (0, 1]
};

// Random parameters in (slightly narrowed) SBI ranges: RGB shift +-12, brightness +-6%,
// contrast +-8%, saturation +-15%, blur or sharpen with equal chance, scale 0.95..1.05, shift +-3%,
// mask shape from the four shapes, deformation 0..0.06, feather 0.02..0.08, ratio from {0.5, 0.75,
// 1, 1, 1}.
SelfBlendParams SampleSelfBlendParams(std::mt19937_64& rng);

// The source copy alone (colour, sharpness, geometry applied to the face neighbourhood;
// the rest of the frame is a copy of `frame`). Exposed for tests.
Image SelfBlendSource(const Image& frame, const Landmarks& landmarks,
                      const SelfBlendParams& params);

// `frame` with its face replaced by the blend; `mask_out` (optional) receives the blend
// weight (blend_ratio * feathered mask).
Image SelfBlend(const Image& frame, const Landmarks& landmarks, const SelfBlendParams& params,
                Mask* mask_out);

}  // namespace train::synth

#endif  // TRAIN_SYNTH_SELF_BLEND_H_
