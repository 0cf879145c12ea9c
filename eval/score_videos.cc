// ScoreVideos: preprocess (optionally cached, optionally one video ahead on a second
// thread, so decoding and face detection overlap the model), score, report progress.
#include "eval/score_videos.h"

#include <chrono>
#include <future>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "video/face_cache.h"

namespace eval {
namespace {

using Clock = std::chrono::steady_clock;

absl::StatusOr<video::PreprocessedVideo> Preprocess(const std::string& path,
                                                    const nn::ModelPreset& preset,
                                                    const video::PreprocessOptions& options,
                                                    video::FaceCache* cache) {
  if (cache != nullptr) return cache->Get(path, preset.preprocessing, options);
  return video::PreprocessVideo(path, preset.preprocessing, options);
}

}  // namespace

VideoScore ScorePreprocessedVideo(nn::Detector& model, const nn::ModelPreset& preset,
                                  const video::PreprocessedVideo& preprocessed, int label,
                                  int batch_size) {
  VideoScore video;
  video.path = preprocessed.path;
  video.label = label;
  std::vector<nn::Tensor> faces;
  for (const video::PreprocessedTrack& track : preprocessed.tracks) faces.push_back(track.faces);
  video.tracks = ScoreTracks(model, faces, batch_size, FakeOutputIndex(preset));
  for (size_t i = 0; i < video.tracks.size(); ++i) {
    video.tracks[i].track_id = preprocessed.tracks[i].track.id;
  }
  SetVideoScore(&video);
  if (!video.scored) video.error = absl::StrCat(preprocessed.path, ": no face track to score");
  return video;
}

std::vector<VideoScore> ScoreVideos(nn::Detector& model, const nn::ModelPreset& preset,
                                    const std::vector<LabelledVideo>& videos,
                                    const ScoreVideosOptions& options,
                                    const ScoreVideosCallback& progress) {
  video::PreprocessOptions preprocess = video::PreprocessOptionsForPreset(preset);
  preprocess.landmark_model_path = options.landmark_model_path;
  std::unique_ptr<video::FaceCache> cache;
  if (!options.cache_dir.empty()) cache = std::make_unique<video::FaceCache>(options.cache_dir);

  using Result = absl::StatusOr<video::PreprocessedVideo>;
  auto start_preprocessing = [&](size_t i) {
    return std::async(
        options.prefetch ? std::launch::async : std::launch::deferred,
        [&, i]() -> Result { return Preprocess(videos[i].path, preset, preprocess, cache.get()); });
  };

  std::vector<VideoScore> scores(videos.size());
  const Clock::time_point start = Clock::now();
  ScoreVideosProgress report;
  report.total = static_cast<int>(videos.size());
  std::future<Result> next;
  if (!videos.empty()) next = start_preprocessing(0);
  for (size_t i = 0; i < videos.size(); ++i) {
    Result preprocessed = next.get();
    if (i + 1 < videos.size()) next = start_preprocessing(i + 1);
    VideoScore& video = scores[i];
    if (preprocessed.ok()) {
      video =
          ScorePreprocessedVideo(model, preset, *preprocessed, videos[i].label, options.batch_size);
      video.path = videos[i].path;
    } else {
      video.path = videos[i].path;
      video.label = videos[i].label;
      video.error = std::string(preprocessed.status().message());
    }
    report.done = static_cast<int>(i + 1);
    if (!video.scored) ++report.not_scored;
    report.elapsed_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    report.eta_seconds = report.elapsed_seconds / report.done * (report.total - report.done);
    report.video = &video;
    if (progress) progress(report);
  }
  return scores;
}

}  // namespace eval
