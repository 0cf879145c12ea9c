// Internals of serve::Detector shared by its source files (not part of the API): the
// loaded state and the steps a result is assembled from, so that Detect, DetectFrames and
// DetectBatch build results the same way.
#ifndef SERVE_API_DETECT_INTERNAL_H_
#define SERVE_API_DETECT_INTERNAL_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <string_view>
#include <utility>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nn/models/detector.h"
#include "nn/models/presets.h"
#include "serve/api/detector.h"
#include "video/preprocess.h"

namespace serve {
namespace internal {

// What Load resolved; immutable afterwards (the model's eval Forward is thread-safe).
struct DetectorState {
  DetectorOptions options;
  nn::ModelPreset preset;  // with frames / sampling applied
  video::PreprocessOptions preprocess;
  std::unique_ptr<nn::Detector> model;  // eval mode, on facts.device
  int fake_output = -1;                 // eval::FakeOutputIndex(preset)
  double threshold = 0.5;
  ModelFacts facts;
};

double MillisecondsSince(std::chrono::steady_clock::time_point start);

// DetectOptions::progress and ::cancel behind a latch: once the callback returns false or
// the flag is set, every later Report returns false without calling it. Fractions: decoding 0..kFacesStart, faces up to
// kScoringStart, scoring up to kExplainStart, explaining up to 1. A null callback always
// continues.
inline constexpr double kFacesStart = 0.55, kScoringStart = 0.7, kExplainStart = 0.85;
class ProgressGate {
 public:
  ProgressGate(std::function<bool(std::string_view, double)> callback,
               const std::atomic<bool>* cancel)
      : callback_(std::move(callback)), cancel_(cancel) {}
  bool Report(std::string_view stage, double fraction) {
    if (cancel_ != nullptr && cancel_->load()) canceled_ = true;
    if (canceled_) return false;
    if (callback_ && !callback_(stage, fraction)) canceled_ = true;
    return !canceled_;
  }
  bool canceled() const { return canceled_ || (cancel_ != nullptr && cancel_->load()); }
  bool active() const { return callback_ || cancel_ != nullptr; }
  const std::atomic<bool>* cancel_flag() const { return cancel_; }

 private:
  std::function<bool(std::string_view, double)> callback_;
  const std::atomic<bool>* cancel_;
  bool canceled_ = false;
};

// UNDETERMINED with reason kCanceled ("PATH: analysis canceled"), no tracks.
void SetCanceled(DetectionResult* result);

// A result for `path` with the model facts, threshold and decision rule filled in.
DetectionResult StartResult(const DetectorState& state, const std::string& path);

// The file's facts (size, sha256, then the decoder's), then PreprocessVideo. On failure
// `result` is UNDETERMINED (reason, message naming the file) with what facts were found.
// `gate` (may be null) hears "decoding" per sampled frame and "faces" after the last.
absl::StatusOr<video::PreprocessedVideo> PreprocessFile(const DetectorState& state,
                                                        const std::string& path,
                                                        DetectionResult* result,
                                                        ProgressGate* gate = nullptr);

// UNDETERMINED with the reason of a preprocessing (or file) error and its message.
void SetUndetermined(const absl::Status& status, DetectionResult* result);

// Scores of a video's tracks -> the result's tracks (boxes, frame scores, thumbnails),
// verdict, video facts and stage times from preprocessing. `scores` is one per track of
// `preprocessed`; `model_ms` the Forward time spent on them.
void AssembleResult(const DetectorState& state, const video::PreprocessedVideo& preprocessed,
                    const std::vector<Detector::TrackScores>& scores, double model_ms,
                    DetectionResult* result);

// Grad-CAM heatmaps of every track of `preprocessed` into result->tracks (same order).
absl::Status AddHeatmaps(const DetectorState& state,
                         const video::PreprocessedVideo& preprocessed, DetectionResult* result);

// Score + assemble + (options.explain) heatmaps; `gate` (may be null) hears "explaining"
// before the heatmaps and may cancel them.
void FinishResult(const Detector& detector, const DetectorState& state,
                  const video::PreprocessedVideo& preprocessed, const DetectOptions& options,
                  DetectionResult* result, ProgressGate* gate = nullptr);

// ScoreFaceTracks on tracks of possibly different shapes (one call per shape), in order.
std::vector<Detector::TrackScores> ScoreGrouped(const Detector& detector,
                                                const std::vector<nn::Tensor>& faces);

std::vector<DetectionResult> RunBatch(const Detector& detector, const DetectorState& state,
                                      const std::vector<std::string>& paths,
                                      const DetectOptions& options,
                                      const BatchCallback& progress);

// Explain(): preprocesses result->path again and fills the heatmaps.
absl::Status ExplainResult(const DetectorState& state, DetectionResult* result);

}  // namespace internal

struct Detector::State : internal::DetectorState {};

}  // namespace serve

#endif  // SERVE_API_DETECT_INTERNAL_H_
