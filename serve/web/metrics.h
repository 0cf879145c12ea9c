// The dashboard's Prometheus metrics (text format 0.0.4, served at /metrics): requests by
// status code, rejected uploads by reason, analyses finished by outcome and their latency
// histogram (counters since this process started), with the queue gauges read from the
// store at scrape time. Thread-safe.
#ifndef SERVE_WEB_METRICS_H_
#define SERVE_WEB_METRICS_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "serve/web/store.h"

namespace serve::web {

class Metrics {
 public:
  Metrics();
  void RecordRequest(int status_code);
  void RecordRejectedUpload(const std::string& reason);  // "too_large", "not_video", ...
  // outcome: "real", "fake", "undetermined", "failed", "canceled"; seconds from claim to end.
  void RecordAnalysis(const std::string& outcome, double seconds);

  // Mean of the recorded analysis times (0 before the first), for Retry-After.
  double MeanAnalysisSeconds() const;

  // Every metric in the text format; `counts` gives deepfake_queue_length / _running.
  std::string Render(const StoreCounts& counts) const;

  static const std::vector<double>& LatencyBuckets();  // upper bounds, seconds

 private:
  mutable std::mutex mutex_;
  std::map<int, int64_t> requests_;
  std::map<std::string, int64_t> rejected_;
  std::map<std::string, int64_t> outcomes_;
  std::vector<int64_t> bucket_counts_;  // per LatencyBuckets() entry (not cumulative)
  int64_t latency_count_ = 0;
  double latency_sum_ = 0;
};

}  // namespace serve::web

#endif  // SERVE_WEB_METRICS_H_
