// The analysis workers: `workers` threads that claim queued jobs from the Store (store.h:
// one worker per job, leases renewed with each progress update), run serve::Detector on
// the stored upload with live progress and cancellation, write the history thumbnail
// (PNG) beside it, store the result, and delete the upload unless it is to be kept.
//
// Stop() interrupts running analyses (within one frame's face finding): they stay
// "running" in the store, and the next start re-queues them (Store::RecoverInterrupted),
// or, after max_attempts, fails them. CancelRunning stops one at once (the API's cancel
// and delete); a cancel recorded in the store by another process is seen at the next
// progress update.
#ifndef SERVE_WEB_WORKER_POOL_H_
#define SERVE_WEB_WORKER_POOL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "serve/api/detector.h"
#include "serve/web/change_notifier.h"
#include "serve/web/metrics.h"
#include "serve/web/store.h"

namespace serve::web {

struct WorkerOptions {
  std::string data_dir;
  int workers = 1;
  bool keep_uploads = false;
  bool explain = true;
  int64_t lease_ms = 60000;
  int max_attempts = 2;
};

class WorkerPool {
 public:
  WorkerPool(Store& store, const serve::Detector& detector, WorkerOptions options, Metrics& metrics,
             ChangeNotifier& changes);
  ~WorkerPool();  // Stop()s
  void Start();
  // Asks every worker to stop (running analyses are canceled) and returns at once.
  void RequestStop();
  // RequestStop(), then waits for the workers (a running one ends within one frame's face
  // finding, which with the CNN detector on a busy CPU may take seconds).
  void Stop();
  // Stops the analysis `id` if one of this pool's workers is running it (else nothing).
  void CancelRunning(const std::string& id);

 private:
  // A job one of this pool's workers runs.
  struct Running {
    std::atomic<bool>* cancel;  // its Detect's cancel flag
    std::string worker;
    std::string stage;  // as last reported
    double progress = 0;
    bool lost = false;  // the lease was lost (re-claimed elsewhere) or the row deleted
  };

  void Loop(int index);
  void Run(const std::string& worker, const Analysis& job);
  // Renews the lease of every running job every lease_ms / 4, whether or not its detector
  // reports progress meanwhile (model warm-up, a long frame on a busy CPU): a live worker
  // never loses its job to another server; only a dead one stops renewing.
  void Heartbeat();

  Store& store_;
  const serve::Detector& detector_;
  const WorkerOptions options_;
  Metrics& metrics_;
  ChangeNotifier& changes_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
  std::thread heartbeat_;
  std::mutex running_mutex_;
  std::condition_variable stop_changed_;    // with running_mutex_: wakes the heartbeat
  std::map<std::string, Running> running_;  // by id; guarded by running_mutex_
};

// The worker name Claim records: "host:pid:index".
std::string WorkerName(int index);

}  // namespace serve::web

#endif  // SERVE_WEB_WORKER_POOL_H_
