// Grad-CAM overlays of a whole face track as images and PNG files: every frame's crop with
// its heatmap blended in (OverlayHeatmap), side by side in one strip, for `deepfake detect
// --explain DIR` and the API's Heatmap.overlay.
#ifndef SERVE_EXPLAIN_HEATMAP_PNG_H_
#define SERVE_EXPLAIN_HEATMAP_PNG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "nn/models/preprocessing.h"
#include "nn/tensor.h"
#include "serve/explain/grad_cam.h"

namespace serve::explain {

// One overlay per frame of `faces` [T, 3, S, S] (the track ComputeGradCam saw, any device,
// square crops): the crop back in RGB (video::TensorFrameToRgb with `preprocessing`) with
// heatmap frame t blended at `alpha`; each packed RGB, S x S. cam.frames must equal T.
std::vector<std::vector<uint8_t>> TrackOverlays(const nn::Tensor& faces,
                                                const nn::Preprocessing& preprocessing,
                                                const GradCam& cam, float alpha = 0.45f);

// Square S x S RGB images side by side: packed RGB, (images.size() * S) x S.
std::vector<uint8_t> HorizontalStrip(const std::vector<std::vector<uint8_t>>& images, int side);

// TrackOverlays as one strip, written as a PNG atomically; errors name the path.
absl::Status WriteTrackHeatmapPng(const std::string& path, const nn::Tensor& faces,
                                  const nn::Preprocessing& preprocessing, const GradCam& cam,
                                  float alpha = 0.45f);

}  // namespace serve::explain

#endif  // SERVE_EXPLAIN_HEATMAP_PNG_H_
