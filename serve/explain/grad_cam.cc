// Grad-CAM: trunk maps (eval Forward), the FAKE score's gradient wrt the pooled features
// (nn::Detector::FeatureGradient, which keeps nothing in the model), and the weighted
// channel sum as a grouped 1x1 convolution with a ReLU epilogue; then the colour overlay.
#include "serve/explain/grad_cam.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "nn/check.h"
#include "nn/ops/conv.h"
#include "nn/ops/pool.h"

namespace serve::explain {

absl::StatusOr<GradCam> ComputeGradCam(nn::Detector& model, const nn::Tensor& faces,
                                       int fake_output) {
  const nn::DetectorOptions& options = model.options();
  if (model.is_training()) {
    return absl::FailedPreconditionError(
        "Grad-CAM needs the model in evaluation mode (it must not change a shared model)");
  }
  if (faces.rank() != 4 || faces.dim(0) < 1 || faces.dim(1) != 3 || faces.dim(2) < 1 ||
      faces.dim(3) < 1) {
    return absl::InvalidArgumentError(absl::StrCat("Grad-CAM: face track of shape ",
                                                   faces.shape().ToString(),
                                                   ", expected [T, 3, H, W] with T >= 1"));
  }
  if (faces.dtype() != nn::DType::kFloat32 || faces.device() != model.device()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Grad-CAM: face track must be float32 on the model's device ",
                     model.device().ToString(), ", got ", faces.device().ToString()));
  }
  const bool one_output = options.num_outputs == 1;
  if (one_output ? fake_output != -1 : fake_output < 0 || fake_output >= options.num_outputs) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Grad-CAM: fake_output ", fake_output, " for a model with ", options.num_outputs,
        " output(s); expected ", one_output ? "-1" : "an output index"));
  }

  // A [T, C, h, w]: the trunk's last block output, one track as a batch of one video.
  const int64_t frames = faces.dim(0);
  const nn::Tensor maps = model.FeatureMaps(
      faces.Reshape({1, frames, 3, faces.dim(2), faces.dim(3)}));  // [1, T, C, h, w]
  const int64_t channels = maps.dim(2), height = maps.dim(3), width = maps.dim(4);
  // f = the global average pool of A: the LSTM's input [1, T, C].
  nn::Tensor pooled =
      nn::Tensor::Empty({frames, channels, 1, 1}, nn::DType::kFloat32, model.device());
  nn::GlobalAvgPool2dForward(maps.Reshape({frames, channels, height, width}), &pooled);

  // dy/df [1, T, C] for y = the FAKE logit (video_logits[0, k]).
  std::vector<float> one_hot(options.num_outputs, 0.0f);
  one_hot[one_output ? 0 : fake_output] = 1.0f;
  const nn::Tensor feature_grad = model.FeatureGradient(
      pooled.Reshape({1, frames, channels}),
      nn::Tensor::FromVector({1, options.num_outputs}, one_hot).To(model.device()));

  // alpha_tc = mean_ij dy/dA_t[c,i,j] = dy/df_tc / (h w) (through the average pool), and
  // cam_t = ReLU(sum_c alpha_tc A_t[c]): a 1x1 convolution of A viewed as [1, T*C, h, w]
  // with weight dy/df [T, C, 1, 1] in T groups, scaled by 1/(h w), ReLU.
  nn::Conv2dParams params;
  params.groups = static_cast<int>(frames);
  const nn::Tensor weight = feature_grad.Reshape({frames, channels, 1, 1});
  const nn::Tensor scale =
      nn::Tensor::Full({frames}, 1.0f / static_cast<float>(height * width)).To(model.device());
  nn::Tensor cam =
      nn::Tensor::Empty({1, frames, height, width}, nn::DType::kFloat32, model.device());
  nn::Conv2dEpilogue epilogue;
  epilogue.scale = &scale;
  epilogue.relu = true;
  nn::Conv2dForward(maps.Reshape({1, frames * channels, height, width}), weight, nullptr, params,
                    &cam, epilogue);

  GradCam result;
  result.frames = static_cast<int>(frames);
  result.height = static_cast<int>(height);
  result.width = static_cast<int>(width);
  const nn::Tensor host = cam.To(nn::Device::CPU());
  result.raw.assign(host.data<float>(), host.data<float>() + host.numel());
  // Normalised by the track's maximum so frames compare; all zero stays zero.
  const float peak = *std::max_element(result.raw.begin(), result.raw.end());
  result.values.resize(result.raw.size(), 0.0f);
  if (peak > 0 && std::isfinite(peak)) {
    for (size_t i = 0; i < result.raw.size(); ++i) result.values[i] = result.raw[i] / peak;
  }
  return result;
}

namespace {

// The jet colour map: 0 -> dark blue, 0.25 -> cyan-blue, 0.5 -> green, 0.75 -> yellow,
// 1 -> dark red (matplotlib's "jet" as piecewise-linear ramps).
std::array<float, 3> Jet(float v) {
  v = std::clamp(v, 0.0f, 1.0f);
  const auto ramp = [v](float center) {
    return std::clamp(1.5f - std::abs(4.0f * v - center), 0.0f, 1.0f);
  };
  return {ramp(3.0f), ramp(2.0f), ramp(1.0f)};
}

// Bilinear sample of a h x w map at output pixel (y, x) of a side x side image, with
// half-pixel centres and edge clamping (PyTorch's interpolate, align_corners=False).
float Bilinear(const float* map, int h, int w, int side, int y, int x) {
  const auto source = [side](int i, int n, int* i0, int* i1) {
    const float s = std::max((i + 0.5f) * n / side - 0.5f, 0.0f);
    *i0 = std::min(static_cast<int>(s), n - 1);
    *i1 = std::min(*i0 + 1, n - 1);
    return s - *i0;
  };
  int y0, y1, x0, x1;
  const float fy = source(y, h, &y0, &y1);
  const float fx = source(x, w, &x0, &x1);
  const float top = map[y0 * w + x0] * (1 - fx) + map[y0 * w + x1] * fx;
  const float bottom = map[y1 * w + x0] * (1 - fx) + map[y1 * w + x1] * fx;
  return top * (1 - fy) + bottom * fy;
}

}  // namespace

std::vector<uint8_t> OverlayHeatmap(const std::vector<uint8_t>& crop_rgb, int side,
                                    const GradCam& cam, int t, float alpha) {
  NN_CHECK(side > 0 && crop_rgb.size() == static_cast<size_t>(side) * side * 3)
      << "OverlayHeatmap: crop of " << crop_rgb.size() << " bytes, expected " << side << "x" << side
      << "x3";
  NN_CHECK(t >= 0 && t < cam.frames && cam.height > 0 && cam.width > 0 &&
           cam.values.size() == static_cast<size_t>(cam.frames) * cam.height * cam.width)
      << "OverlayHeatmap: frame " << t << " of a " << cam.frames << "x" << cam.height << "x"
      << cam.width << " heatmap with " << cam.values.size() << " values";
  alpha = std::clamp(alpha, 0.0f, 1.0f);
  const float* map = cam.values.data() + static_cast<size_t>(t) * cam.height * cam.width;
  std::vector<uint8_t> out(crop_rgb.size());
  for (int y = 0; y < side; ++y) {
    for (int x = 0; x < side; ++x) {
      const std::array<float, 3> colour = Jet(Bilinear(map, cam.height, cam.width, side, y, x));
      const size_t i = (static_cast<size_t>(y) * side + x) * 3;
      for (int c = 0; c < 3; ++c) {
        const float blended = (1 - alpha) * crop_rgb[i + c] + alpha * 255.0f * colour[c];
        out[i + c] = static_cast<uint8_t>(std::clamp(std::lround(blended), 0L, 255L));
      }
    }
  }
  return out;
}

}  // namespace serve::explain
