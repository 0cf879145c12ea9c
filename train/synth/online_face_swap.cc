// On-the-fly landmark face swaps of crop tensors for the training loader.
#include "train/synth/online_face_swap.h"

#include <limits>

#include "nn/check.h"
#include "train/synth/crop_image.h"
#include "train/synth/face_swap.h"

namespace train::synth {

void SwapFaceCrops(nn::Tensor* target, const std::vector<Landmarks>& target_landmarks,
                   const nn::Tensor& source, const std::vector<Landmarks>& source_landmarks,
                   std::mt19937_64& rng) {
  NN_CHECK(target->rank() == 4 && target->dim(1) == 3)
      << "crops must be [T,3,H,W], got " << target->shape();
  NN_CHECK(target->shape() == source.shape())
      << "source " << source.shape() << " and target " << target->shape() << " differ";
  NN_CHECK(target->dtype() == nn::DType::kFloat32 && target->device().is_cpu() &&
           source.dtype() == nn::DType::kFloat32 && source.device().is_cpu())
      << "crops must be float32 on the CPU";
  const int frames = int(target->dim(0)), h = int(target->dim(2)), w = int(target->dim(3));
  NN_CHECK(int(target_landmarks.size()) == frames && int(source_landmarks.size()) == frames)
      << "landmarks: " << target_landmarks.size() << " and " << source_landmarks.size()
      << " sets for " << frames << " frames";
  for (int t = 0; t < frames; ++t) {
    NN_CHECK(target_landmarks[t].size() == 68 && source_landmarks[t].size() == 68)
        << "frame " << t << " needs 68 landmarks";
  }
  const FaceSwapParams params = SampleFaceSwapParams(rng);
  const std::vector<Triangle> triangles = FaceSwapTriangles(target_landmarks);
  FaceSwapState state;
  const size_t frame_floats = size_t(3) * h * w;
  float* out = target->data<float>();
  const float* in = source.data<float>();
  for (int t = 0; t < frames; ++t) {
    float* frame = out + t * frame_floats;
    const Image swapped = SwapFace(CropFrameToImage(in + t * frame_floats, w, h),
                                   source_landmarks[t], CropFrameToImage(frame, w, h),
                                   target_landmarks[t], triangles, params, &state, nullptr);
    ImageToCropFrame(swapped, frame);
  }
}

int NearestLandmarks(const Landmarks& target, const std::vector<const Landmarks*>& candidates) {
  int best = -1;
  double best_distance = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Landmarks& c = *candidates[i];
    NN_CHECK_EQ(c.size(), target.size()) << "candidate " << i << " landmarks";
    double d = 0;
    for (size_t p = 0; p < c.size(); ++p) {
      const double dx = c[p].x - target[p].x, dy = c[p].y - target[p].y;
      d += dx * dx + dy * dy;
    }
    if (d < best_distance) best = int(i), best_distance = d;
  }
  return best;
}

}  // namespace train::synth
