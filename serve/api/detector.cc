// serve::Detector: LoadModel + the preset's preprocessing + eval::ScoreTracks, assembled into
// a DetectionResult (verdict, tracks with boxes, frame scores and thumbnails, video and
// model facts, stage times). Everything after Load is const: the model's eval Forward may
// run on several threads at once (nn/module.h), preprocessing has no shared state.
#include "serve/api/detector.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/sha256.h"
#include "base/status_macros.h"
#include "eval/model_file.h"
#include "eval/score.h"
#include "nn/build_info.h"
#include "serve/api/detect_internal.h"
#include "serve/cli/common_flags.h"
#include "video/face_detector.h"
#include "video/landmarks.h"
#include "video/library_versions.h"

namespace serve {

using Clock = std::chrono::steady_clock;

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kReal:
      return "REAL";
    case Verdict::kFake:
      return "FAKE";
    case Verdict::kUndetermined:
      return "UNDETERMINED";
  }
  return "UNDETERMINED";
}

const char* ReasonCode(UndeterminedReason reason) {
  switch (reason) {
    case UndeterminedReason::kNone:
      return "";
    case UndeterminedReason::kUnreadable:
      return "unreadable";
    case UndeterminedReason::kDamaged:
      return "damaged";
    case UndeterminedReason::kTooFewFrames:
      return "too_few_frames";
    case UndeterminedReason::kNoFace:
      return "no_face";
    case UndeterminedReason::kFaceTooSmall:
      return "face_too_small";
    case UndeterminedReason::kNoFaceTrack:
      return "no_face_track";
    case UndeterminedReason::kCanceled:
      return "canceled";
  }
  return "";
}

namespace {

// "--device: ..." from the CLI's parser, without the flag dashes (Load's callers name
// their own flags).
absl::Status WithoutDashes(const absl::Status& status) {
  std::string message(status.message());
  if (absl::StartsWith(message, "--")) message = message.substr(2);
  return absl::Status(status.code(), message);
}

absl::StatusOr<nn::FrameSampling> ParseSampling(const std::string& name) {
  if (name == "uniform") return nn::FrameSampling::kEvenlySpaced;
  absl::StatusOr<nn::FrameSampling> parsed = nn::ParseFrameSampling(name);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sampling: unknown frame sampling '", name, "' (allowed: uniform, evenly, first, every)"));
  }
  return parsed;
}

absl::Status CheckOptions(const DetectorOptions& o) {
  if (o.frames < 0) return absl::InvalidArgumentError(absl::StrCat("frames must be >= 0 (got ", o.frames, ")"));
  if (o.every_k < 1) {
    return absl::InvalidArgumentError(absl::StrCat("every_k must be >= 1 (got ", o.every_k, ")"));
  }
  if (o.threshold > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("threshold must be in [0, 1] (or < 0 for the checkpoint's; got ", o.threshold, ")"));
  }
  if (o.batch_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat("batch_size must be >= 1 (got ", o.batch_size, ")"));
  }
  if (o.thumbnail_size < 0 || o.thumbnail_size > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("thumbnail_size must be 0 to 1024 (got ", o.thumbnail_size, ")"));
  }
  return absl::OkStatus();
}

std::string BaseName(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

}  // namespace

Detector::Detector(std::unique_ptr<State> state) : state_(std::move(state)) {}
Detector::~Detector() = default;

absl::StatusOr<std::unique_ptr<Detector>> Detector::Load(const std::string& model_path,
                                                         const DetectorOptions& options) {
  RETURN_IF_ERROR(CheckOptions(options));
  absl::StatusOr<nn::Device> device =
      cli::ParseDevice(options.device, nn::CudaCompiledIn(), nn::CudaDeviceCount());
  if (!device.ok()) return WithoutDashes(device.status());
  nn::FrameSampling sampling{};
  if (!options.sampling.empty()) {
    ASSIGN_OR_RETURN(sampling, ParseSampling(options.sampling));
  }

  ASSIGN_OR_RETURN(eval::LoadedModel loaded, eval::LoadModel(model_path, *device));
  auto state = std::make_unique<State>();
  state->options = options;
  state->preset = loaded.preset;
  if (options.frames > 0) state->preset.preprocessing.frames = options.frames;
  if (!options.sampling.empty()) state->preset.faces.sampling = sampling;
  state->preprocess = video::PreprocessOptionsForPreset(state->preset);
  state->preprocess.sampling.every_k = options.every_k;
  state->preprocess.landmark_model_path = options.landmark_model_path;
  absl::StatusOr<video::FaceDetectorKind> face_detector =
      video::ParseFaceDetectorKind(options.face_detector);
  if (!face_detector.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("face_detector: ", face_detector.status().message()));
  }
  state->preprocess.detector.kind = *face_detector;
  // The landmark model is needed for every video: a missing one is Load's error, not every
  // video's (LandmarkModel caches it for the process).
  const std::string landmarks = options.landmark_model_path.empty()
                                    ? video::DefaultLandmarkModelPath()
                                    : options.landmark_model_path;
  RETURN_IF_ERROR(video::LandmarkModel::Load(landmarks).status());
  state->fake_output = eval::FakeOutputIndex(state->preset);

  ModelFacts& facts = state->facts;
  facts.name = BaseName(model_path);
  facts.path = model_path;
  facts.preset = state->preset.name;
  facts.sha256 = loaded.sha256;
  facts.device = device->ToString();
  facts.frames = state->preset.preprocessing.frames;
  facts.image_size = state->preset.preprocessing.image_size;
  if (options.threshold >= 0) {
    state->threshold = options.threshold;
    facts.threshold_method = "flag";
  } else {
    state->threshold = loaded.provenance.threshold;
    facts.threshold_method = loaded.provenance.threshold_method;
  }
  state->model = std::move(loaded.model);
  return std::unique_ptr<Detector>(new Detector(std::move(state)));
}

const nn::ModelPreset& Detector::preset() const { return state_->preset; }
const ModelFacts& Detector::model() const { return state_->facts; }
double Detector::threshold() const { return state_->threshold; }
const video::PreprocessOptions& Detector::preprocess_options() const { return state_->preprocess; }

std::vector<Detector::TrackScores> Detector::ScoreFaceTracks(
    const std::vector<nn::Tensor>& tracks) const {
  std::vector<eval::TrackScore> scored =
      eval::ScoreTracks(*state_->model, tracks, state_->options.batch_size, state_->fake_output);
  std::vector<TrackScores> out(scored.size());
  for (size_t i = 0; i < scored.size(); ++i) {
    out[i].fake_probability = scored[i].score;
    out[i].frame_scores = std::move(scored[i].frame_scores);
  }
  return out;
}

DetectionResult Detector::Detect(const std::string& video_path,
                                 const DetectOptions& options) const {
  const Clock::time_point start = Clock::now();
  DetectionResult result = internal::StartResult(*state_, video_path);
  internal::ProgressGate gate(options.progress, options.cancel);
  if (gate.Report("decoding", 0)) {
    absl::StatusOr<video::PreprocessedVideo> preprocessed =
        internal::PreprocessFile(*state_, video_path, &result, &gate);
    if (preprocessed.ok() && gate.Report("scoring", internal::kScoringStart)) {
      internal::FinishResult(*this, *state_, *preprocessed, options, &result, &gate);
    }
  }
  if (gate.canceled()) internal::SetCanceled(&result);
  result.times.total = internal::MillisecondsSince(start);
  return result;
}

DetectionResult Detector::DetectFrames(const std::string& name,
                                       const std::vector<video::Frame>& frames,
                                       const DetectOptions& options) const {
  const Clock::time_point start = Clock::now();
  DetectionResult result = internal::StartResult(*state_, name);
  absl::StatusOr<video::PreprocessedVideo> preprocessed = video::PreprocessFrames(
      name, frames, state_->preset.preprocessing, state_->preprocess);
  if (!frames.empty()) {
    result.video.width = frames.front().width;
    result.video.height = frames.front().height;
    result.video.frames_sampled = static_cast<int>(frames.size());
  }
  if (preprocessed.ok()) {
    internal::FinishResult(*this, *state_, *preprocessed, options, &result);
  } else {
    internal::SetUndetermined(preprocessed.status(), &result);
  }
  result.times.total = internal::MillisecondsSince(start);
  return result;
}

std::vector<DetectionResult> Detector::DetectBatch(const std::vector<std::string>& paths,
                                                   const DetectOptions& options,
                                                   const BatchCallback& progress) const {
  return internal::RunBatch(*this, *state_, paths, options, progress);
}

absl::Status Detector::Explain(DetectionResult* result) const {
  return internal::ExplainResult(*state_, result);
}

}  // namespace serve
