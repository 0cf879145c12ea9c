// DetectBatch: a producer thread preprocesses the videos in input order (decoding and face
// finding, itself parallel on base's pool) into a bounded queue while the calling thread
// scores them. The scorer takes every video that is ready (at least one), and runs their
// face tracks through the model together, up to batch_size tracks per Forward
// (ScoreFaceTracks groups tracks of one shape), so when the model falls behind, videos
// share Forwards. A track's scores do not depend on which tracks share its Forward (each
// batch entry is computed on its own), so results equal Detect's.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "serve/api/detect_internal.h"

namespace serve::internal {
namespace {

using Clock = std::chrono::steady_clock;

struct Prepared {
  size_t index = 0;
  DetectionResult result;
  absl::StatusOr<video::PreprocessedVideo> preprocessed = absl::UnknownError("not run");
  Clock::time_point start;
};

// Videos preprocessed ahead, in input order; at most `capacity` waiting.
class PreparedQueue {
 public:
  explicit PreparedQueue(size_t capacity) : capacity_(capacity) {}

  // Producer: blocks while full.
  void Push(Prepared prepared) {
    std::unique_lock<std::mutex> lock(mutex_);
    not_full_.wait(lock, [&] { return queue_.size() < capacity_; });
    queue_.push_back(std::move(prepared));
    not_empty_.notify_one();
  }
  // Consumer: waits for one, then takes up to `max` that are ready.
  std::vector<Prepared> PopReady(size_t max) {
    std::unique_lock<std::mutex> lock(mutex_);
    not_empty_.wait(lock, [&] { return !queue_.empty(); });
    std::vector<Prepared> out;
    while (!queue_.empty() && out.size() < max) {
      out.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    not_full_.notify_one();
    return out;
  }

 private:
  const size_t capacity_;
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Prepared> queue_;
};

}  // namespace

std::vector<DetectionResult> RunBatch(const Detector& detector, const DetectorState& state,
                                      const std::vector<std::string>& paths,
                                      const DetectOptions& options,
                                      const BatchCallback& progress) {
  std::vector<DetectionResult> results(paths.size());
  if (paths.empty()) return results;
  const bool share_forwards = options.cross_video_batching > 0 ||
                              (options.cross_video_batching < 0 && !state.model->device().is_cpu());
  const size_t batch_size = static_cast<size_t>(state.options.batch_size);
  // Enough look-ahead to fill a Forward with one-face videos, and never less than 2.
  PreparedQueue queue(std::max<size_t>(2, share_forwards ? batch_size : 1));
  std::thread producer([&] {
    for (size_t i = 0; i < paths.size(); ++i) {
      Prepared p;
      p.index = i;
      p.start = Clock::now();
      p.result = StartResult(state, paths[i]);
      p.preprocessed = PreprocessFile(state, paths[i], &p.result);
      queue.Push(std::move(p));
    }
  });

  const Clock::time_point start = Clock::now();
  BatchProgress report;
  report.total = static_cast<int>(paths.size());
  size_t done = 0;
  while (done < paths.size()) {
    std::vector<Prepared> ready =
        queue.PopReady(share_forwards ? batch_size : 1);
    // Every track of the ready videos, scored together (in video order).
    std::vector<nn::Tensor> faces;
    for (const Prepared& p : ready) {
      if (!p.preprocessed.ok()) continue;
      for (const video::PreprocessedTrack& t : p.preprocessed->tracks) faces.push_back(t.faces);
    }
    const Clock::time_point model_start = Clock::now();
    std::vector<Detector::TrackScores> scores = ScoreGrouped(detector, faces);
    const double model_ms = MillisecondsSince(model_start);
    size_t next_track = 0;
    for (Prepared& p : ready) {
      if (p.preprocessed.ok()) {
        const size_t n = p.preprocessed->tracks.size();
        const std::vector<Detector::TrackScores> own(scores.begin() + next_track,
                                                     scores.begin() + next_track + n);
        next_track += n;
        // The shared Forward's time, in proportion to this video's tracks.
        AssembleResult(state, *p.preprocessed, own,
                       faces.empty() ? 0 : model_ms * n / faces.size(), &p.result);
        if (options.explain && p.result.verdict != Verdict::kUndetermined) {
          const Clock::time_point explain_start = Clock::now();
          const absl::Status explained = AddHeatmaps(state, *p.preprocessed, &p.result);
          if (!explained.ok()) p.result.video.warnings.push_back(std::string(explained.message()));
          p.result.times.explain = MillisecondsSince(explain_start);
        }
      }
      p.result.times.total = MillisecondsSince(p.start);
      DetectionResult& result = results[p.index];
      result = std::move(p.result);
      ++done;
      report.done = static_cast<int>(done);
      if (result.verdict == Verdict::kUndetermined) ++report.undetermined;
      report.elapsed_seconds = std::chrono::duration<double>(Clock::now() - start).count();
      report.eta_seconds = report.elapsed_seconds / report.done * (report.total - report.done);
      report.result = &result;
      if (progress) progress(report);
    }
  }
  producer.join();
  return results;
}

std::vector<Detector::TrackScores> ScoreGrouped(const Detector& detector,
                                                const std::vector<nn::Tensor>& faces) {
  // ScoreFaceTracks needs one shape per call (videos shorter than the preset's frame count
  // have shorter tracks): one call per shape, results back in input order.
  std::map<std::vector<int64_t>, std::vector<size_t>> by_shape;
  for (size_t i = 0; i < faces.size(); ++i) {
    const nn::Shape& shape = faces[i].shape();
    std::vector<int64_t> key;
    for (int d = 0; d < shape.rank(); ++d) key.push_back(shape.dim(d));
    by_shape[key].push_back(i);
  }
  std::vector<Detector::TrackScores> scores(faces.size());
  for (const auto& [shape, indices] : by_shape) {
    std::vector<nn::Tensor> group;
    for (size_t i : indices) group.push_back(faces[i]);
    std::vector<Detector::TrackScores> scored = detector.ScoreFaceTracks(group);
    for (size_t k = 0; k < indices.size(); ++k) scores[indices[k]] = std::move(scored[k]);
  }
  return scores;
}

}  // namespace serve::internal
