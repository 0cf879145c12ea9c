// Prometheus text exposition of the dashboard's counters and histogram.
#include "serve/web/metrics.h"

#include <cstdint>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace serve::web {
namespace {

// One counter family: its HELP and TYPE lines, then NAME{LABEL="key"} value per key.
template <typename Key>
void AppendCounters(std::string* out, const char* name, const char* help, const char* label,
                    const std::map<Key, int64_t>& values) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " counter\n");
  for (const auto& [key, n] : values) {
    absl::StrAppend(out, name, "{", label, "=\"", key, "\"} ", n, "\n");
  }
}

}  // namespace

const std::vector<double>& Metrics::LatencyBuckets() {
  static const auto* buckets =
      new std::vector<double>{0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800};
  return *buckets;
}

Metrics::Metrics() : bucket_counts_(LatencyBuckets().size(), 0) {
  for (const char* outcome : {"real", "fake", "undetermined", "failed", "canceled"}) {
    outcomes_[outcome] = 0;
  }
}

void Metrics::RecordRequest(int status_code) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[status_code];
}

void Metrics::RecordRejectedUpload(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++rejected_[reason];
}

void Metrics::RecordAnalysis(const std::string& outcome, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++outcomes_[outcome];
  ++latency_count_;
  latency_sum_ += seconds;
  const std::vector<double>& bounds = LatencyBuckets();
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (seconds <= bounds[i]) {
      ++bucket_counts_[i];
      break;
    }
  }
}

double Metrics::MeanAnalysisSeconds() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return latency_count_ == 0 ? 0 : latency_sum_ / latency_count_;
}

std::string Metrics::Render(const StoreCounts& counts) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  absl::StrAppend(&out,
                  "# HELP deepfake_queue_length Analyses waiting for a worker.\n"
                  "# TYPE deepfake_queue_length gauge\n",
                  "deepfake_queue_length ", counts.queued, "\n",
                  "# HELP deepfake_running Analyses being run now.\n"
                  "# TYPE deepfake_running gauge\n",
                  "deepfake_running ", counts.running, "\n");
  AppendCounters(&out, "deepfake_analyses_total", "Analyses finished by this process, by outcome.",
                 "outcome", outcomes_);
  absl::StrAppend(&out,
                  "# HELP deepfake_analysis_seconds Time from a worker claiming an analysis to "
                  "its end.\n"
                  "# TYPE deepfake_analysis_seconds histogram\n");
  int64_t cumulative = 0;
  const std::vector<double>& bounds = LatencyBuckets();
  for (size_t i = 0; i < bounds.size(); ++i) {
    cumulative += bucket_counts_[i];
    absl::StrAppend(&out, "deepfake_analysis_seconds_bucket{le=\"",
                    absl::StrFormat("%g", bounds[i]), "\"} ", cumulative, "\n");
  }
  absl::StrAppend(&out, "deepfake_analysis_seconds_bucket{le=\"+Inf\"} ", latency_count_, "\n",
                  "deepfake_analysis_seconds_sum ", absl::StrFormat("%.6f", latency_sum_), "\n",
                  "deepfake_analysis_seconds_count ", latency_count_, "\n");
  AppendCounters(&out, "deepfake_uploads_rejected_total", "Upload requests refused, by reason.",
                 "reason", rejected_);
  AppendCounters(&out, "deepfake_http_requests_total", "HTTP responses, by status code.", "code",
                 requests_);
  return out;
}

}  // namespace serve::web
