// DetectBatch: videos preprocessed one ahead on a producer thread while the current one is
// scored, results reported in input order.
#include <chrono>
#include <future>
#include <utility>

#include "serve/api/detect_internal.h"

namespace serve::internal {

std::vector<DetectionResult> RunBatch(const Detector& detector, const DetectorState& state,
                                      const std::vector<std::string>& paths,
                                      const DetectOptions& options,
                                      const BatchCallback& progress) {
  using Clock = std::chrono::steady_clock;
  struct Prepared {
    DetectionResult result;
    absl::StatusOr<video::PreprocessedVideo> preprocessed;
    Clock::time_point start;
  };
  auto prepare = [&](size_t i) {
    return std::async(std::launch::async, [&, i] {
      Prepared p{StartResult(state, paths[i]), absl::UnknownError(""), Clock::now()};
      p.preprocessed = PreprocessFile(state, paths[i], &p.result);
      return p;
    });
  };
  std::vector<DetectionResult> results(paths.size());
  const Clock::time_point start = Clock::now();
  BatchProgress report;
  report.total = static_cast<int>(paths.size());
  std::future<Prepared> next;
  if (!paths.empty()) next = prepare(0);
  for (size_t i = 0; i < paths.size(); ++i) {
    Prepared p = next.get();
    if (i + 1 < paths.size()) next = prepare(i + 1);
    if (p.preprocessed.ok()) FinishResult(detector, state, *p.preprocessed, options, &p.result);
    p.result.times.total = MillisecondsSince(p.start);
    results[i] = std::move(p.result);
    report.done = static_cast<int>(i + 1);
    if (results[i].verdict == Verdict::kUndetermined) ++report.undetermined;
    report.elapsed_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    report.eta_seconds = report.elapsed_seconds / report.done * (report.total - report.done);
    report.result = &results[i];
    if (progress) progress(report);
  }
  return results;
}

}  // namespace serve::internal
