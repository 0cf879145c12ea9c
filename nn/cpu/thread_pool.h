// Intra-op parallelism for CPU kernels: a fixed pool of worker threads and a ParallelFor
// that splits [0, n) into contiguous chunks, one per thread. The split is static, so a
// kernel that gives each index its own output (no cross-chunk reductions) computes the
// same bits for any thread count; kernels that reduce across chunks document it.
//
//   nn::cpu::ParallelFor(batch, [&](int64_t begin, int64_t end) {
//     for (int64_t n = begin; n < end; ++n) ConvOneImage(n);
//   });
//
// The thread count defaults to the machine's hardware concurrency and can be set with
// SetNumThreads() (e.g. from a --threads flag) before or between ops.
#ifndef NN_CPU_THREAD_POOL_H_
#define NN_CPU_THREAD_POOL_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace nn::cpu {

class ThreadPool {
 public:
  // `num_threads` includes the calling thread: 1 runs everything inline.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(begin, end) on disjoint chunks covering [0, n), at most num_threads() chunks
  // of at least `min_chunk` indices each, and returns when all are done. The caller runs
  // the first chunk. Nested calls from inside fn run inline.
  void ParallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                   int64_t min_chunk = 1);

 private:
  void WorkerLoop(int worker_index);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  const std::function<void(int64_t, int64_t)>* task_ = nullptr;
  std::vector<std::pair<int64_t, int64_t>> chunks_;  // chunk i+1 for worker i
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stopping_ = false;
};

// The process-wide pool used by nn's CPU kernels.
ThreadPool& DefaultThreadPool();
// Replaces the default pool with one of `num_threads` threads (>= 1). Not thread-safe
// with respect to running ops: call it at start-up or between ops.
void SetNumThreads(int num_threads);
int GetNumThreads();

inline void ParallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                        int64_t min_chunk = 1) {
  DefaultThreadPool().ParallelFor(n, fn, min_chunk);
}

}  // namespace nn::cpu

#endif  // NN_CPU_THREAD_POOL_H_
