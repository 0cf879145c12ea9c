// On-the-fly self-blending of crop tensors for the training loader.
#include "train/synth/online_self_blend.h"

#include <algorithm>

#include "nn/check.h"
#include "train/synth/crop_image.h"
#include "train/synth/face_template.h"

namespace train::synth {

void SelfBlendCrops(nn::Tensor* crops, const std::vector<Landmarks>& landmarks,
                    const OnlineSelfBlendOptions& options, std::mt19937_64& rng) {
  NN_CHECK(crops->rank() == 4 && crops->dim(1) == 3)
      << "crops must be [T,3,H,W], got " << crops->shape();
  NN_CHECK(crops->dtype() == nn::DType::kFloat32 && crops->device().is_cpu())
      << "crops must be float32 on the CPU";
  const int frames = int(crops->dim(0)), h = int(crops->dim(2)), w = int(crops->dim(3));
  NN_CHECK(landmarks.empty() || int(landmarks.size()) == frames)
      << "landmarks: " << landmarks.size() << " sets for " << frames << " frames";
  const Landmarks template_landmarks = AlignedCropLandmarks(std::min(w, h), options.crop_margin);
  float* data = crops->data<float>();
  SelfBlendParams params = SampleSelfBlendParams(rng);
  const size_t plane = size_t(h) * w;
  for (int t = 0; t < frames; ++t) {
    if (!options.consistent_over_clip && t > 0) params = SampleSelfBlendParams(rng);
    float* frame = data + size_t(t) * 3 * plane;
    const Image image = CropFrameToImage(frame, w, h);
    const Landmarks& lm = landmarks.empty() ? template_landmarks : landmarks[t];
    NN_CHECK_EQ(lm.size(), 68u) << "frame " << t << " landmarks";
    ImageToCropFrame(SelfBlend(image, lm, params, nullptr), frame);
  }
}

LabelledClip MaybeSelfBlend(const nn::Tensor& crops, const std::vector<Landmarks>& landmarks,
                            const OnlineSelfBlendOptions& options, std::mt19937_64& rng) {
  LabelledClip out;
  if (std::uniform_real_distribution<double>(0, 1)(rng) >= options.fake_probability) {
    out.crops = crops;
    return out;
  }
  out.crops = crops.Clone();
  out.fake = true;
  SelfBlendCrops(&out.crops, landmarks, options, rng);
  return out;
}

}  // namespace train::synth
