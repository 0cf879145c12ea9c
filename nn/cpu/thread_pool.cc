// A minimal fork-join pool: one task at a time, static chunks, condition variables.
#include "nn/cpu/thread_pool.h"

#include <algorithm>
#include <memory>

#include "nn/check.h"

namespace nn::cpu {
namespace {

thread_local bool in_parallel_region = false;

std::unique_ptr<ThreadPool>& DefaultPoolSlot() {
  static auto* slot = new std::unique_ptr<ThreadPool>();
  return *slot;
}

}  // namespace

ThreadPool::ThreadPool(int num_threads) {
  NN_CHECK_GE(num_threads, 1) << "thread count";
  for (int i = 0; i + 1 < num_threads; ++i) {
    workers_.emplace_back([this, i] { WorkerLoop(i); });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::ParallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                             int64_t min_chunk) {
  if (n <= 0) return;
  const int64_t max_chunks = std::max<int64_t>(1, n / std::max<int64_t>(1, min_chunk));
  const int64_t num_chunks = std::min<int64_t>(num_threads(), max_chunks);
  if (num_chunks == 1 || in_parallel_region) {
    fn(0, n);
    return;
  }
  // Chunk c covers [c*n/k, (c+1)*n/k): sizes differ by at most one.
  auto chunk = [&](int64_t c) {
    return std::make_pair(c * n / num_chunks, (c + 1) * n / num_chunks);
  };
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = &fn;
    chunks_.assign(workers_.size(), {0, 0});
    for (int64_t c = 1; c < num_chunks; ++c) chunks_[c - 1] = chunk(c);
    pending_ = static_cast<int>(num_chunks - 1);
    ++generation_;
  }
  work_ready_.notify_all();
  in_parallel_region = true;
  const auto first = chunk(0);
  fn(first.first, first.second);
  in_parallel_region = false;
  std::unique_lock<std::mutex> lock(mutex_);
  work_done_.wait(lock, [this] { return pending_ == 0; });
  task_ = nullptr;
}

void ThreadPool::WorkerLoop(int worker_index) {
  uint64_t seen_generation = 0;
  in_parallel_region = true;
  while (true) {
    std::unique_lock<std::mutex> lock(mutex_);
    work_ready_.wait(lock, [&] { return stopping_ || generation_ != seen_generation; });
    if (stopping_) return;
    seen_generation = generation_;
    const auto [begin, end] = chunks_[worker_index];
    const auto* task = task_;
    lock.unlock();
    if (begin < end) {
      (*task)(begin, end);
      lock.lock();
      if (--pending_ == 0) work_done_.notify_one();
    }
  }
}

ThreadPool& DefaultThreadPool() {
  std::unique_ptr<ThreadPool>& slot = DefaultPoolSlot();
  if (!slot) {
    slot = std::make_unique<ThreadPool>(
        std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
  }
  return *slot;
}

void SetNumThreads(int num_threads) {
  NN_CHECK_GE(num_threads, 1) << "SetNumThreads";
  DefaultPoolSlot() = std::make_unique<ThreadPool>(num_threads);
}

int GetNumThreads() { return DefaultThreadPool().num_threads(); }

}  // namespace nn::cpu
