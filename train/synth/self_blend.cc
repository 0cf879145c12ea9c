// Self-blending: source augmentation, geometric jitter and masked blending of one frame.
#include "train/synth/self_blend.h"

#include <algorithm>
#include <cmath>

#include "train/synth/blend.h"
#include "train/synth/warp.h"

namespace train::synth {

SelfBlendParams SampleSelfBlendParams(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  auto uniform = [&](double lo, double hi) { return lo + (hi - lo) * u(rng); };
  SelfBlendParams p;
  for (float& o : p.channel_offset) o = static_cast<float>(uniform(-12, 12));
  p.brightness = static_cast<float>(uniform(-0.06, 0.06) * 255);
  p.contrast = static_cast<float>(uniform(0.92, 1.08));
  p.saturation = static_cast<float>(uniform(0.85, 1.15));
  p.sharpness = u(rng) < 0.5 ? -uniform(0.5, 2.0) : uniform(0.3, 1.0);
  p.scale = uniform(0.95, 1.05);
  p.shift_x = uniform(-0.03, 0.03);
  p.shift_y = uniform(-0.03, 0.03);
  p.mask.shape = static_cast<MaskShape>(std::uniform_int_distribution<int>(0, 3)(rng));
  p.mask.shrink = uniform(0.0, 0.1);
  p.mask.feather = uniform(0.02, 0.08);
  p.mask.deform = uniform(0.0, 0.06);
  p.mask.deform_seed = rng();
  const double ratios[] = {0.5, 0.75, 1, 1, 1};
  p.blend_ratio = ratios[std::uniform_int_distribution<int>(0, 4)(rng)];
  return p;
}

Image SelfBlendSource(const Image& frame, const Landmarks& landmarks,
                      const SelfBlendParams& params) {
  const double size = FaceSize(landmarks);
  const Rect r = BoundingRect(landmarks, 0.35 * size, frame.width, frame.height);
  const int w = r.x1 - r.x0, h = r.y1 - r.y0;
  Image crop(w, h);
  for (int y = 0; y < h; ++y) std::copy_n(frame.at(r.x0, r.y0 + y), 3 * w, crop.at(0, y));
  // Colour: per-channel shift, brightness, contrast about 128, saturation about the luma
  // Y = 0.299 R + 0.587 G + 0.114 B.
  for (int i = 0; i < w * h; ++i) {
    float* px = crop.data.data() + size_t(i) * 3;
    const float luma = 0.299f * px[0] + 0.587f * px[1] + 0.114f * px[2];
    for (int c = 0; c < 3; ++c) {
      float v = luma + params.saturation * (px[c] - luma);
      v = (v - 128) * params.contrast + 128 + params.brightness + params.channel_offset[c];
      px[c] = std::clamp(v, 0.f, 255.f);
    }
  }
  // Sharpness: blur, or unsharp mask x + amount (x - blur(x)).
  if (params.sharpness < 0) {
    GaussianBlur(&crop, -params.sharpness * size / 100);
  } else if (params.sharpness > 0) {
    Image blurred = crop;
    GaussianBlur(&blurred, size / 100);
    for (size_t i = 0; i < crop.data.size(); ++i) {
      crop.data[i] = std::clamp(
          crop.data[i] + float(params.sharpness) * (crop.data[i] - blurred.data[i]), 0.f, 255.f);
    }
  }
  // Geometry: scale about the face centre and shift, as a map from output to crop pixels.
  double cx = 0, cy = 0;
  for (const Point& p : landmarks) cx += p.x / landmarks.size(), cy += p.y / landmarks.size();
  Affine forward;  // crop coordinates -> frame coordinates of the moved source
  forward.a = forward.e = params.scale;
  forward.c = cx - params.scale * (cx - r.x0) + params.shift_x * size;
  forward.f = cy - params.scale * (cy - r.y0) + params.shift_y * size;
  const Affine inverse = forward.Inverse();
  Image out = frame;
  for (int y = r.y0; y < r.y1; ++y) {
    for (int x = r.x0; x < r.x1; ++x) {
      const Point s = inverse.Apply({double(x), double(y)});
      SampleBilinear(crop, s.x, s.y, out.at(x, y));
    }
  }
  return out;
}

Image SelfBlend(const Image& frame, const Landmarks& landmarks, const SelfBlendParams& params,
                Mask* mask_out) {
  const Image source = SelfBlendSource(frame, landmarks, params);
  Mask mask = FaceMask(landmarks, frame.width, frame.height, params.mask);
  Image out = frame;
  AlphaBlend(source, mask, params.blend_ratio, &out);
  if (mask_out != nullptr) {
    for (float& a : mask.alpha) a = static_cast<float>(a * params.blend_ratio);
    *mask_out = std::move(mask);
  }
  return out;
}

}  // namespace train::synth
