// A version counter that waiters block on: the workers and routes Notify() after every
// change to an analysis, the event streams (SSE) and idle workers wait for the next one.
#ifndef SERVE_WEB_CHANGE_NOTIFIER_H_
#define SERVE_WEB_CHANGE_NOTIFIER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace serve::web {

class ChangeNotifier {
 public:
  void Notify() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++version_;
    }
    changed_.notify_all();
  }
  // Blocks until the version differs from `seen`, Shutdown(), or `timeout`; returns the
  // version then.
  uint64_t WaitForChange(uint64_t seen, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return version_ != seen || shutdown_; });
    return version_;
  }
  uint64_t version() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return version_;
  }
  void Shutdown() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      shutdown_ = true;
    }
    changed_.notify_all();
  }
  bool shut_down() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return shutdown_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  uint64_t version_ = 0;
  bool shutdown_ = false;
};

}  // namespace serve::web

#endif  // SERVE_WEB_CHANGE_NOTIFIER_H_
