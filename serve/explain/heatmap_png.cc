// Overlay strips of a face track as PNGs.
#include "serve/explain/heatmap_png.h"

#include <algorithm>

#include "base/atomic_file.h"
#include "eval/plot/png.h"
#include "nn/check.h"
#include "video/preprocess.h"

namespace serve::explain {

std::vector<std::vector<uint8_t>> TrackOverlays(const nn::Tensor& faces,
                                                const nn::Preprocessing& preprocessing,
                                                const GradCam& cam, float alpha) {
  NN_CHECK(faces.rank() == 4 && faces.dim(1) == 3 && faces.dim(2) == faces.dim(3))
      << "TrackOverlays: faces " << faces.shape() << ", expected [T, 3, S, S]";
  NN_CHECK_EQ(faces.dim(0), cam.frames)
      << "TrackOverlays: faces " << faces.shape() << " vs " << cam.frames << " heatmap frames";
  const nn::Tensor host = faces.To(nn::Device::CPU());
  const int side = static_cast<int>(faces.dim(2));
  std::vector<std::vector<uint8_t>> overlays;
  for (int t = 0; t < cam.frames; ++t) {
    overlays.push_back(
        OverlayHeatmap(video::TensorFrameToRgb(host, t, preprocessing), side, cam, t, alpha));
  }
  return overlays;
}

std::vector<uint8_t> HorizontalStrip(const std::vector<std::vector<uint8_t>>& images, int side) {
  const size_t row = static_cast<size_t>(side) * 3, strip_row = row * images.size();
  std::vector<uint8_t> strip(strip_row * side);
  for (size_t k = 0; k < images.size(); ++k) {
    NN_CHECK_EQ(images[k].size(), row * side)
        << "HorizontalStrip: image " << k << " is not " << side << "x" << side << " RGB";
    for (int y = 0; y < side; ++y) {
      std::copy_n(images[k].begin() + y * row, row, strip.begin() + y * strip_row + k * row);
    }
  }
  return strip;
}

absl::Status WriteTrackHeatmapPng(const std::string& path, const nn::Tensor& faces,
                                  const nn::Preprocessing& preprocessing, const GradCam& cam,
                                  float alpha) {
  const int side = static_cast<int>(faces.dim(2));
  const std::vector<std::vector<uint8_t>> overlays =
      TrackOverlays(faces, preprocessing, cam, alpha);
  return base::WriteFileAtomically(
      path, eval::plot::EncodePng(side * static_cast<int>(overlays.size()), side,
                                  HorizontalStrip(overlays, side)));
}

}  // namespace serve::explain
