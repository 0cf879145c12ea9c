// Training augmentations of a face-crop clip, chosen per preset and listed in the run
// config. One random draw per clip: every frame of a sequence gets the same flip, jitter,
// blur, noise, downscale, re-compression quality and erased box, so the augmentation adds
// no flicker the model could learn as a "fake" cue.
#ifndef TRAIN_DATA_AUGMENT_H_
#define TRAIN_DATA_AUGMENT_H_

#include <random>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "nn/models/presets.h"
#include "nn/tensor.h"

namespace train::data {

// Each augmentation is applied with its probability (0 = off), in the order listed.
struct AugmentOptions {
  double hflip_probability = 0.5;
  // Colour jitter: brightness/contrast/saturation factors in [1 - x, 1 + x], hue shift in
  // [-hue, hue] turns.
  double color_jitter_probability = 0;
  double brightness = 0.2, contrast = 0.2, saturation = 0.2, hue = 0.02;
  // Downscale by a factor in [downscale_min, 1) and back up (bilinear).
  double downscale_probability = 0;
  double downscale_min = 0.5;
  // Gaussian blur with sigma in [0.1, blur_sigma_max] pixels.
  double blur_probability = 0;
  double blur_sigma_max = 1.5;
  // Additive Gaussian noise with std in [0, noise_std_max] (of the [0, 1] range).
  double noise_probability = 0;
  double noise_std_max = 0.03;
  // JPEG round trip (libjpeg) at a quality in [jpeg_quality_min, jpeg_quality_max].
  double jpeg_probability = 0;
  int jpeg_quality_min = 40, jpeg_quality_max = 95;
  // H.264 round trip of the whole clip (libx264 via FFmpeg, in memory) at a CRF in
  // [h264_crf_min, h264_crf_max].
  double h264_probability = 0;
  int h264_crf_min = 18, h264_crf_max = 40;
  // Random erasing: one box of area fraction [0.02, erase_max_area] set to noise.
  double erase_probability = 0;
  double erase_max_area = 0.25;
};

// The preset's training recipe (its fields, e.g. input size; never its name): small crops
// get milder blur/downscale. All augmentations named above are on for the default preset.
AugmentOptions AugmentOptionsForPreset(const nn::ModelPreset& preset);
// "none": everything off.
AugmentOptions NoAugmentation();

nlohmann::json AugmentOptionsToJson(const AugmentOptions& options);
// Inverse of AugmentOptionsToJson (missing keys keep defaults); errors name the key.
absl::StatusOr<AugmentOptions> AugmentOptionsFromJson(const nlohmann::json& json);

// Augments `clip` ([T, 3, H, W] float32 on the CPU, RGB planes in [0, 1]) in place with one
// draw from `rng`, applied alike to every frame; values stay in [0, 1]. Deterministic in
// the rng state.
void AugmentClip(nn::Tensor* clip, const AugmentOptions& options, std::mt19937_64& rng);

}  // namespace train::data

#endif  // TRAIN_DATA_AUGMENT_H_
