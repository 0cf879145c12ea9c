// A bounded FIFO between two threads that never blocks the producer: when full, Push drops
// the oldest item and says so (a live feed keeps its newest frames; latency stays bounded).
// Capacity 1 is a "latest wins" mailbox. Close() ends it: Pop returns what is left, then
// nothing.
#ifndef SERVE_REALTIME_BOUNDED_QUEUE_H_
#define SERVE_REALTIME_BOUNDED_QUEUE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

#include "nn/check.h"

namespace serve::realtime {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(int capacity) : capacity_(capacity) {
    NN_CHECK(capacity >= 1) << "capacity " << capacity;
  }

  // Appends `item`; returns how many older items were dropped to make room (0 or 1).
  // After Close() the item is discarded (returns 0).
  int Push(T item) {
    int dropped = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (closed_) return 0;
      if (static_cast<int>(items_.size()) >= capacity_) {
        items_.pop_front();
        dropped = 1;
      }
      items_.push_back(std::move(item));
    }
    ready_.notify_one();
    return dropped;
  }

  // The oldest item; waits up to `timeout` for one. nullopt on timeout, or when closed and
  // empty (then closed_and_empty() is true).
  std::optional<T> Pop(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait_for(lock, timeout, [this] { return !items_.empty() || closed_; });
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  // No more pushes; items already queued can still be popped.
  void Close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }

  bool closed_and_empty() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return closed_ && items_.empty();
  }

 private:
  const int capacity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace serve::realtime

#endif  // SERVE_REALTIME_BOUNDED_QUEUE_H_
