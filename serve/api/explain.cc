// Explanations: Grad-CAM heatmaps (serve/explain) for the tracks of a result.
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "serve/api/detect_internal.h"

namespace serve::internal {

absl::Status AddHeatmaps(const DetectorState& state, const video::PreprocessedVideo& preprocessed,
                         DetectionResult* result) {
  (void)state;
  (void)preprocessed;
  return absl::UnimplementedError(
      absl::StrCat(result->path, ": Grad-CAM explanations are not available yet"));
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
  return AddHeatmaps(state, *preprocessed, result);
}

}  // namespace serve::internal
