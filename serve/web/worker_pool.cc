// Workers: claim -> Detect with progress/cancel -> thumbnail -> Finish -> upload removed.
#include "serve/web/worker_pool.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/atomic_file.h"
#include "serve/api/result_json.h"
#include "serve/web/thumbnail.h"
#include "serve/web/upload.h"

namespace serve::web {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr auto kProgressInterval = std::chrono::milliseconds(200);
constexpr auto kIdleWait = std::chrono::milliseconds(1000);

std::string Outcome(const serve::DetectionResult& result) {
  switch (result.verdict) {
    case serve::Verdict::kReal:
      return "real";
    case serve::Verdict::kFake:
      return "fake";
    case serve::Verdict::kUndetermined:
      break;
  }
  return "undetermined";
}

}  // namespace

std::string WorkerName(int index) {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return absl::StrCat(host, ":", getpid(), ":", index);
}

WorkerPool::WorkerPool(Store& store, const serve::Detector& detector, WorkerOptions options,
                       Metrics& metrics, ChangeNotifier& changes)
    : store_(store),
      detector_(detector),
      options_(std::move(options)),
      metrics_(metrics),
      changes_(changes) {}

WorkerPool::~WorkerPool() { Stop(); }

void WorkerPool::Start() {
  for (int i = 0; i < options_.workers; ++i) threads_.emplace_back([this, i] { Loop(i); });
  heartbeat_ = std::thread([this] { Heartbeat(); });
}

void WorkerPool::Heartbeat() {
  const auto interval = std::chrono::milliseconds(std::max<int64_t>(options_.lease_ms / 4, 50));
  std::unique_lock<std::mutex> lock(running_mutex_);
  while (!stopping_.load()) {
    stop_changed_.wait_for(lock, interval, [this] { return stopping_.load(); });
    if (stopping_.load()) break;
    std::vector<std::pair<std::string, Running>> jobs(running_.begin(), running_.end());
    lock.unlock();
    for (const auto& [id, job] : jobs) {
      if (job.lost) continue;
      const absl::Status renewed =
          store_.Progress(id, job.worker, job.stage, job.progress, options_.lease_ms);
      // Not held any more (re-claimed after an expiry, or deleted): stop and write nothing.
      // Other errors (the database briefly unreachable) are retried at the next beat.
      if (absl::IsFailedPrecondition(renewed) || absl::IsNotFound(renewed)) {
        std::lock_guard<std::mutex> relock(running_mutex_);
        auto it = running_.find(id);
        if (it != running_.end() && it->second.worker == job.worker) {
          it->second.lost = true;
          it->second.cancel->store(true);
        }
      }
    }
    lock.lock();
  }
}

void WorkerPool::RequestStop() {
  {
    std::lock_guard<std::mutex> lock(running_mutex_);
    stopping_.store(true);
    for (auto& [id, job] : running_) job.cancel->store(true);
    stop_changed_.notify_all();
  }
  changes_.Notify();
}

void WorkerPool::Stop() {
  RequestStop();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  if (heartbeat_.joinable()) heartbeat_.join();
}

void WorkerPool::CancelRunning(const std::string& id) {
  std::lock_guard<std::mutex> lock(running_mutex_);
  auto it = running_.find(id);
  if (it != running_.end()) it->second.cancel->store(true);
}

void WorkerPool::Loop(int index) {
  const std::string worker = WorkerName(index);
  while (!stopping_.load()) {
    const uint64_t seen = changes_.version();
    absl::StatusOr<std::optional<Analysis>> claimed =
        store_.Claim(worker, options_.lease_ms, options_.max_attempts);
    if (!claimed.ok()) {
      std::cerr << "deepfake serve: worker " << worker << ": " << claimed.status().message()
                << "\n";
      changes_.WaitForChange(seen, kIdleWait);
      continue;
    }
    if (!claimed->has_value()) {
      if (stopping_.load()) break;
      changes_.WaitForChange(seen, kIdleWait);  // an upload Notify()s; expired leases by time
      continue;
    }
    changes_.Notify();  // queued -> running
    Run(worker, **claimed);
    changes_.Notify();
  }
}

void WorkerPool::Run(const std::string& worker, const Analysis& job) {
  const Clock::time_point start = Clock::now();
  const fs::path dir = fs::path(options_.data_dir) / job.dir;
  const std::string upload = (dir / UploadFileName(job.content_type)).string();
  std::error_code error;
  if (!fs::is_regular_file(upload, error)) {
    (void)store_.Fail(
        job.id, worker, "unreadable",
        absl::StrCat("the upload of '", job.file_name, "' is no longer on disk (", upload, ")"));
    metrics_.RecordAnalysis("failed", 0);
    return;
  }

  bool lost = false;  // the job was deleted or re-claimed: stop and write nothing
  std::string last_stage;
  Clock::time_point last_report = Clock::time_point::min();
  serve::DetectOptions detect;
  detect.explain = options_.explain;
  detect.progress = [&](std::string_view stage, double fraction) {
    if (stopping_.load()) return false;
    const Clock::time_point now = Clock::now();
    if (stage == last_stage && now - last_report < kProgressInterval) return true;
    last_stage = std::string(stage);
    last_report = now;
    {
      std::lock_guard<std::mutex> lock(running_mutex_);
      auto it = running_.find(job.id);
      if (it != running_.end()) {
        it->second.stage = last_stage;
        it->second.progress = fraction;
      }
    }
    if (!store_.Progress(job.id, worker, last_stage, fraction, options_.lease_ms).ok()) {
      lost = true;
      return false;
    }
    changes_.Notify();
    absl::StatusOr<bool> cancel = store_.CancelRequested(job.id);
    return cancel.ok() && !*cancel;
  };
  std::atomic<bool> cancel{false};
  {
    std::lock_guard<std::mutex> lock(running_mutex_);
    running_[job.id] = Running{&cancel, worker, job.stage, job.progress};
    if (stopping_.load()) cancel.store(true);
  }
  detect.cancel = &cancel;
  serve::DetectionResult result = detector_.Detect(upload, detect);
  {
    std::lock_guard<std::mutex> lock(running_mutex_);
    if (running_[job.id].lost) lost = true;  // the heartbeat found the lease gone
    running_.erase(job.id);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (lost || stopping_.load()) return;  // deleted / re-claimed, or re-run after restart
  if (result.reason == serve::UndeterminedReason::kCanceled) {
    (void)store_.Fail(job.id, worker, "canceled", "canceled on request");
    metrics_.RecordAnalysis("canceled", seconds);
    if (!options_.keep_uploads) fs::remove(upload, error);
    return;
  }

  // What a reader of the result sees is the upload's name, not the server's path.
  result.path = job.file_name;
  result.video.path = job.file_name;
  result.message = absl::StrReplaceAll(result.message, {{upload, job.file_name}});
  for (std::string& warning : result.video.warnings) {
    warning = absl::StrReplaceAll(warning, {{upload, job.file_name}});
  }
  serve::JsonOptions json_options;
  json_options.thumbnails = true;
  Analysis finished = job;
  finished.verdict = serve::VerdictName(result.verdict);
  finished.fake_probability = result.fake_probability;
  finished.reason = serve::ReasonCode(result.reason);
  finished.message = result.message;
  finished.result_json = serve::ResultToJson(result, json_options).dump();
  finished.upload_kept = options_.keep_uploads;
  const std::string png = HistoryThumbnailPng(result, upload);
  if (!png.empty()) {
    const absl::Status written = base::WriteFileAtomically((dir / "thumbnail.png").string(), png);
    if (written.ok()) {
      finished.thumbnail = "thumbnail.png";
    } else {
      std::cerr << "deepfake serve: " << written.message() << "\n";
    }
  }
  const absl::Status stored = store_.Finish(job.id, worker, finished);
  if (!stored.ok()) {
    std::cerr << "deepfake serve: analysis " << job.id << ": " << stored.message() << "\n";
    return;
  }
  metrics_.RecordAnalysis(Outcome(result), seconds);
  if (!options_.keep_uploads) fs::remove(upload, error);
}

}  // namespace serve::web
