// Assembling a DetectionResult: file facts, preprocessing, failure reasons, tracks (boxes,
// frame scores, thumbnails) and the verdict.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/sha256.h"
#include "serve/api/detect_internal.h"
#include "video/decoder.h"

namespace serve::internal {
namespace {

using Clock = std::chrono::steady_clock;

UndeterminedReason ReasonFor(video::PreprocessFailure failure) {
  switch (failure) {
    case video::PreprocessFailure::kUnreadable:
      return UndeterminedReason::kUnreadable;
    case video::PreprocessFailure::kDamaged:
      return UndeterminedReason::kDamaged;
    case video::PreprocessFailure::kTooFewFrames:
      return UndeterminedReason::kTooFewFrames;
    case video::PreprocessFailure::kNoFace:
      return UndeterminedReason::kNoFace;
    case video::PreprocessFailure::kFaceTooSmall:
      return UndeterminedReason::kFaceTooSmall;
    case video::PreprocessFailure::kNoFaceTrack:
      return UndeterminedReason::kNoFaceTrack;
    case video::PreprocessFailure::kOther:
      break;
  }
  // Errors without a kind (e.g. a detector failure on a frame) mean this input could not
  // be analysed as a video.
  return UndeterminedReason::kUnreadable;
}

// Area-averaged (box filter) resize of packed RGB, side `from` -> side `to`.
std::vector<uint8_t> ResizeRgb(const std::vector<uint8_t>& rgb, int from, int to) {
  if (from == to) return rgb;
  std::vector<uint8_t> out(static_cast<size_t>(to) * to * 3);
  const double scale = static_cast<double>(from) / to;
  for (int y = 0; y < to; ++y) {
    const int y0 = static_cast<int>(std::floor(y * scale));
    const int y1 = std::max(y0 + 1, std::min(from, static_cast<int>(std::ceil((y + 1) * scale))));
    for (int x = 0; x < to; ++x) {
      const int x0 = static_cast<int>(std::floor(x * scale));
      const int x1 =
          std::max(x0 + 1, std::min(from, static_cast<int>(std::ceil((x + 1) * scale))));
      for (int c = 0; c < 3; ++c) {
        int sum = 0;
        for (int yy = y0; yy < y1; ++yy) {
          for (int xx = x0; xx < x1; ++xx) sum += rgb[(static_cast<size_t>(yy) * from + xx) * 3 + c];
        }
        const int count = (y1 - y0) * (x1 - x0);
        out[(static_cast<size_t>(y) * to + x) * 3 + c] =
            static_cast<uint8_t>((sum + count / 2) / count);
      }
    }
  }
  return out;
}

}  // namespace

double MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

DetectionResult StartResult(const DetectorState& state, const std::string& path) {
  DetectionResult result;
  result.path = path;
  result.threshold = state.threshold;
  result.model = state.facts;
  result.video.path = path;
  return result;
}

void SetUndetermined(const absl::Status& status, DetectionResult* result) {
  result->verdict = Verdict::kUndetermined;
  result->reason = ReasonFor(video::PreprocessFailureOf(status));
  result->message = std::string(status.message());
  result->fake_probability = -1;
  result->deciding_track = -1;
  result->tracks.clear();
}

void SetCanceled(DetectionResult* result) {
  result->verdict = Verdict::kUndetermined;
  result->reason = UndeterminedReason::kCanceled;
  result->message = absl::StrCat(result->path, ": analysis canceled");
  result->fake_probability = -1;
  result->deciding_track = -1;
  result->tracks.clear();
}

absl::StatusOr<video::PreprocessedVideo> PreprocessFile(const DetectorState& state,
                                                        const std::string& path,
                                                        DetectionResult* result,
                                                        ProgressGate* gate) {
  std::error_code error;
  const bool regular = std::filesystem::is_regular_file(path, error);
  if (regular) {
    const uintmax_t size = std::filesystem::file_size(path, error);
    if (!error) result->video.size_bytes = static_cast<int64_t>(size);
    absl::StatusOr<std::string> sha = base::Sha256FileHex(path);
    if (sha.ok()) result->video.sha256 = *sha;
  }
  absl::StatusOr<video::PreprocessedVideo> preprocessed;
  if (gate != nullptr && gate->active()) {
    video::PreprocessOptions options = state.preprocess;
    options.cancel = gate->cancel_flag();
    options.on_frame_sampled = [gate](int sampled, int total) {
      if (total > 0 && sampled >= total) {
        gate->Report("faces", kFacesStart);
      } else {
        gate->Report("decoding", total > 0 ? kFacesStart * sampled / total : 0);
      }
    };
    preprocessed = video::PreprocessVideo(path, state.preset.preprocessing, options);
  } else {
    preprocessed = video::PreprocessVideo(path, state.preset.preprocessing, state.preprocess);
  }
  if (!preprocessed.ok()) {
    SetUndetermined(preprocessed.status(), result);
    // The container's facts when it opens at all (no face, too few frames, ...).
    if (result->reason != UndeterminedReason::kUnreadable &&
        result->reason != UndeterminedReason::kDamaged) {
      absl::StatusOr<std::unique_ptr<video::Decoder>> decoder =
          video::Decoder::Open(path, state.preprocess.sampling.open_options);
      if (decoder.ok()) {
        const video::VideoInfo& info = (*decoder)->info();
        VideoFacts& v = result->video;
        v.duration_seconds = info.duration_seconds;
        v.frame_rate = info.frame_rate;
        v.width = info.width;
        v.height = info.height;
        v.codec = info.codec;
        v.container = info.container;
        v.rotation_degrees = info.rotation_degrees;
      }
    }
  }
  return preprocessed;
}

void AssembleResult(const DetectorState& state, const video::PreprocessedVideo& preprocessed,
                    const std::vector<Detector::TrackScores>& scores, double model_ms,
                    DetectionResult* result) {
  VideoFacts& v = result->video;
  const video::VideoInfo& info = preprocessed.info;
  v.duration_seconds = info.duration_seconds;
  v.frame_rate = info.frame_rate;
  v.width = preprocessed.width;
  v.height = preprocessed.height;
  v.codec = info.codec;
  v.container = info.container;
  v.rotation_degrees = info.rotation_degrees;
  v.frames_sampled = static_cast<int>(preprocessed.frames.size());
  v.warnings = preprocessed.decode_report.warnings;

  const video::StageTimes& t = preprocessed.times;
  result->times.decode = t.decode_ms;
  result->times.faces = t.detect_ms + t.track_ms;
  result->times.crop = t.crop_ms;
  result->times.model = model_ms;

  const int thumbnail = state.options.thumbnail_size;
  const int side = preprocessed.preprocessing.image_size;
  result->tracks.clear();
  result->deciding_track = -1;
  result->fake_probability = -1;
  for (size_t i = 0; i < preprocessed.tracks.size(); ++i) {
    const video::PreprocessedTrack& source = preprocessed.tracks[i];
    TrackResult track;
    track.track_id = source.track.id;
    track.fake_probability = scores[i].fake_probability;
    track.fake = track.fake_probability >= state.threshold;
    track.num_detections = source.track.num_detections;
    track.median_face_size = source.track.median_face_size;
    const std::vector<double>& frame_scores = scores[i].frame_scores;
    for (size_t f = 0; f < source.track.faces.size(); ++f) {
      TrackFrame frame;
      frame.frame_index = preprocessed.frames[f].index;
      frame.timestamp_seconds = preprocessed.frames[f].timestamp_seconds;
      frame.box = source.track.faces[f].box;
      frame.detected = !source.track.faces[f].filled;
      frame.score = f < frame_scores.size() ? frame_scores[f] : -1;
      track.frames.push_back(frame);
      if (thumbnail > 0) {
        const std::vector<uint8_t> crop = video::TensorFrameToRgb(
            source.faces, static_cast<int64_t>(f), preprocessed.preprocessing);
        track.thumbnails.push_back({thumbnail, thumbnail, ResizeRgb(crop, side, thumbnail)});
      }
    }
    if (track.fake_probability > result->fake_probability) {
      result->fake_probability = track.fake_probability;
      result->deciding_track = track.track_id;
    }
    result->tracks.push_back(std::move(track));
  }
  if (result->tracks.empty()) {
    SetUndetermined(
        video::WithPreprocessFailure(
            absl::NotFoundError(absl::StrCat(preprocessed.path, ": no face track to score")),
            video::PreprocessFailure::kNoFaceTrack),
        result);
    return;
  }
  result->reason = UndeterminedReason::kNone;
  result->message.clear();
  result->verdict =
      result->fake_probability >= state.threshold ? Verdict::kFake : Verdict::kReal;
}

void FinishResult(const Detector& detector, const DetectorState& state,
                  const video::PreprocessedVideo& preprocessed, const DetectOptions& options,
                  DetectionResult* result, ProgressGate* gate) {
  std::vector<nn::Tensor> faces;
  for (const video::PreprocessedTrack& track : preprocessed.tracks) faces.push_back(track.faces);
  const Clock::time_point start = Clock::now();
  const std::vector<Detector::TrackScores> scores = detector.ScoreFaceTracks(faces);
  AssembleResult(state, preprocessed, scores, MillisecondsSince(start), result);
  if (options.explain && result->verdict != Verdict::kUndetermined &&
      (gate == nullptr || gate->Report("explaining", kExplainStart))) {
    const Clock::time_point explain_start = Clock::now();
    const absl::Status explained = AddHeatmaps(state, preprocessed, result);
    if (!explained.ok()) result->video.warnings.push_back(std::string(explained.message()));
    result->times.explain = MillisecondsSince(explain_start);
  }
}

}  // namespace serve::internal
