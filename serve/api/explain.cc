// Explanations: Grad-CAM heatmaps (serve/explain) of every track of a result, with the
// crop (model input size) and its heatmap blended in.
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "serve/api/detect_internal.h"
#include "serve/explain/grad_cam.h"
#include "serve/explain/heatmap_png.h"

namespace serve::internal {

absl::Status AddHeatmaps(const DetectorState& state, const video::PreprocessedVideo& preprocessed,
                         DetectionResult* result) {
  if (result->tracks.size() != preprocessed.tracks.size()) {
    return absl::FailedPreconditionError(absl::StrCat(
        result->path, ": the result has ", result->tracks.size(), " face track(s) but the video ",
        preprocessed.tracks.size(), " now"));
  }
  const int side = preprocessed.preprocessing.image_size;
  for (size_t i = 0; i < preprocessed.tracks.size(); ++i) {
    const nn::Tensor& faces = preprocessed.tracks[i].faces;
    absl::StatusOr<explain::GradCam> cam =
        explain::ComputeGradCam(*state.model, faces, state.fake_output);
    if (!cam.ok()) {
      const std::string message(cam.status().message());
      return absl::Status(cam.status().code(),
                          absl::StartsWith(message, result->path)
                              ? message
                              : absl::StrCat(result->path, ": Grad-CAM: ", message));
    }
    const std::vector<std::vector<uint8_t>> overlays =
        explain::TrackOverlays(faces, preprocessed.preprocessing, *cam);
    const size_t cells = static_cast<size_t>(cam->width) * cam->height;
    std::vector<Heatmap>& heatmaps = result->tracks[i].heatmaps;
    heatmaps.clear();
    for (int t = 0; t < cam->frames; ++t) {
      Heatmap h;
      h.width = cam->width;
      h.height = cam->height;
      h.values.assign(cam->values.begin() + t * cells, cam->values.begin() + (t + 1) * cells);
      h.overlay = {side, side, overlays[t]};
      heatmaps.push_back(std::move(h));
    }
  }
  return absl::OkStatus();
}

absl::Status ExplainResult(const DetectorState& state, DetectionResult* result) {
  if (result->verdict == Verdict::kUndetermined) {
    return absl::FailedPreconditionError(
        absl::StrCat(result->path, ": nothing to explain: the video is UNDETERMINED (",
                     ReasonCode(result->reason), ")"));
  }
  absl::StatusOr<video::PreprocessedVideo> preprocessed =
      video::PreprocessVideo(result->path, state.preset.preprocessing, state.preprocess);
  if (!preprocessed.ok()) return preprocessed.status();
  const auto start = std::chrono::steady_clock::now();
  absl::Status status = AddHeatmaps(state, *preprocessed, result);
  result->times.explain = MillisecondsSince(start);
  return status;
}

}  // namespace serve::internal
