// Face swap of one frame: warp, resolution mismatch, colour transfer, blend.
#include "train/synth/face_swap.h"

#include <algorithm>

#include "nn/check.h"
#include "train/synth/blend.h"
#include "train/synth/warp.h"

namespace train::synth {

std::vector<Triangle> FaceSwapTriangles(const std::vector<Landmarks>& track) {
  NN_CHECK(!track.empty()) << "FaceSwapTriangles needs at least one frame";
  Landmarks mean(track[0].size());
  for (const Landmarks& lm : track) {
    for (size_t i = 0; i < lm.size(); ++i) {
      mean[i].x += lm[i].x / track.size(), mean[i].y += lm[i].y / track.size();
    }
  }
  return DelaunayTriangulate(mean);
}

FaceSwapParams SampleFaceSwapParams(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  auto uniform = [&](double lo, double hi) { return lo + (hi - lo) * u(rng); };
  FaceSwapParams p;
  const MaskShape shapes[] = {MaskShape::kFullHull, MaskShape::kInnerFace, MaskShape::kInnerFace,
                              MaskShape::kLowerFace};
  p.mask.shape = shapes[std::uniform_int_distribution<int>(0, 3)(rng)];
  p.mask.shrink = uniform(0.0, 0.06);
  p.mask.feather = uniform(0.03, 0.07);
  p.mask.deform = u(rng) < 0.3 ? uniform(0.0, 0.04) : 0.0;
  p.mask.deform_seed = rng();
  p.blend = u(rng) < 0.6 ? BlendMode::kPoisson : BlendMode::kAlpha;
  const double ratios[] = {0.85, 0.95, 1, 1};
  p.blend_ratio = ratios[std::uniform_int_distribution<int>(0, 3)(rng)];
  if (u(rng) < 0.2) {  // a colour mismatch, as in weaker real deepfakes
    p.color_strength = uniform(0.6, 0.85);
    for (int c = 1; c < 3; ++c) p.color_offset_lab[c] = static_cast<float>(uniform(-2.5, 2.5));
  } else {
    p.color_strength = uniform(0.85, 1.0);
  }
  p.source_resolution = u(rng) < 0.5 ? 1.0 : uniform(0.4, 0.85);
  return p;
}

namespace {

// Downscales the rectangle `r` of `image` by `scale` and upscales it back in place.
void DegradeResolution(const Rect& r, double scale, Image* image) {
  const int w = r.x1 - r.x0, h = r.y1 - r.y0;
  if (scale >= 1 || w < 4 || h < 4) return;
  Image crop(w, h);
  for (int y = 0; y < h; ++y) std::copy_n(image->at(r.x0, r.y0 + y), 3 * w, crop.at(0, y));
  const Image small = Resize(crop, std::max(2, int(w * scale)), std::max(2, int(h * scale)));
  const Image back = Resize(small, w, h);
  for (int y = 0; y < h; ++y) std::copy_n(back.at(0, y), 3 * w, image->at(r.x0, r.y0 + y));
}

}  // namespace

Image SwapFace(const Image& source, const Landmarks& source_landmarks, const Image& target,
               const Landmarks& target_landmarks, const std::vector<Triangle>& triangles,
               const FaceSwapParams& params, FaceSwapState* state, Mask* mask_out) {
  NN_CHECK(source_landmarks.size() == 68 && target_landmarks.size() == 68)
      << "face swap needs 68 landmarks, got " << source_landmarks.size() << " and "
      << target_landmarks.size();
  Image warped = target;
  Mask coverage;
  WarpPiecewiseAffine(source, source_landmarks, target_landmarks, triangles, &warped, &coverage);
  Mask mask = FaceMask(target_landmarks, target.width, target.height, params.mask);
  for (size_t i = 0; i < mask.alpha.size(); ++i) mask.alpha[i] *= coverage.alpha[i];
  const Rect region = BoundingRect(target_landmarks, 2, target.width, target.height);
  DegradeResolution(region, params.source_resolution, &warped);

  // Colour transfer: statistics of the warped face and of the target face over the same
  // (binary) mask, smoothed over time, then the warped face's Lab channels are matched.
  Mask inside(mask.width, mask.height);
  for (size_t i = 0; i < mask.alpha.size(); ++i) inside.alpha[i] = mask.alpha[i] > 0.5f;
  LabStats source_stats = ComputeLabStats(warped, inside, region);
  LabStats target_stats = ComputeLabStats(target, inside, region);
  if (state != nullptr) {
    source_stats = state->source = BlendStats(state->source, source_stats, params.color_momentum);
    target_stats = state->target = BlendStats(state->target, target_stats, params.color_momentum);
  }
  if (source_stats.weight > 0 && target_stats.weight > 0) {
    TransferColor(source_stats, target_stats, params.color_strength, params.color_offset_lab,
                  region, &coverage, &warped);
  }

  Image out = target;
  if (params.blend == BlendMode::kPoisson) {
    Image cloned;
    PoissonBlend(warped, mask, target, PoissonOptions{}, &cloned);
    AlphaBlend(cloned, mask, params.blend_ratio, &out);
  } else {
    AlphaBlend(warped, mask, params.blend_ratio, &out);
  }
  if (mask_out != nullptr) {
    for (float& a : mask.alpha) a = static_cast<float>(a * params.blend_ratio);
    *mask_out = std::move(mask);
  }
  return out;
}

}  // namespace train::synth
