// Grad-CAM (Selvaraju et al. 2017) for the detector: for a face track [T, 3, H, W], the
// map of where in each crop the model's evidence for FAKE lies.
//
//   A_t = the backbone's last convolution block output for frame t      [C, h, w]
//   y   = the track's FAKE score (the logit, or the FAKE softmax entry's logit)
//   alpha_tc = mean_{i,j} dy/dA_t[c,i,j]   (the gradient reaches A through the global
//              average pool, the LSTM and the head: our hand-written backward)
//   cam_t = ReLU(sum_c alpha_tc * A_t[c])                                 [h, w]
// normalised by the maximum over the whole track (so frames compare), 0 when all are 0.
#ifndef SERVE_EXPLAIN_GRAD_CAM_H_
#define SERVE_EXPLAIN_GRAD_CAM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nn/models/detector.h"
#include "nn/models/presets.h"
#include "nn/tensor.h"

namespace serve::explain {

struct GradCam {
  int frames = 0, height = 0, width = 0;  // the last convolution's grid
  std::vector<float> values;              // frames * height * width, in [0, 1]
  std::vector<float> raw;                 // the same before normalisation (for tests)
};

// `model` is used read-only and may be shared with concurrent eval Forwards (the
// implementation must not put it into training mode); `faces` is one track [T, 3, H, W]
// preprocessed for `preset`. `fake_output`: -1 for one-output presets, else the index of
// FAKE (eval::FakeOutputIndex).
absl::StatusOr<GradCam> ComputeGradCam(nn::Detector& model, const nn::Tensor& faces,
                                       int fake_output);

// The crop (packed RGB, side x side) with heatmap frame `t` upsampled (bilinear) and
// blended in a colour map (blue -> red) at `alpha`.
std::vector<uint8_t> OverlayHeatmap(const std::vector<uint8_t>& crop_rgb, int side,
                                    const GradCam& cam, int t, float alpha = 0.45f);

}  // namespace serve::explain

#endif  // SERVE_EXPLAIN_GRAD_CAM_H_
