// The project's one parallel-for: a fixed set of worker threads that any number of threads
// may call at once. ParallelFor splits [0, n) into k contiguous static chunks
// [c*n/k, (c+1)*n/k), k = min(threads, n / min_chunk); the caller runs chunk 0 and then
// helps with its own call's remaining chunks, so every call completes all its chunks even
// when the workers are busy with other callers. The split depends only on n, the thread
// count and min_chunk, so a kernel that gives each index its own output computes the same
// bits for any thread count and any scheduling.
//
//   base::ParallelFor(batch, [&](int64_t begin, int64_t end) {
//     for (int64_t n = begin; n < end; ++n) ConvOneImage(n);
//   });
//   base::ParallelForEach(clips.size(), [&](int64_t i) { Render(clips[i]); });  // uneven items
//
// A ParallelFor or ParallelForEach called from inside a chunk (of any pool) runs inline on
// the calling thread: the outer call already occupies the threads, and nothing can deadlock.
//
// The process-wide pool (DefaultThreadPool) starts with the machine's hardware concurrency;
// SetNumThreads (e.g. from a --threads flag) resizes it in place and may run while other
// threads are in ParallelFor (their calls keep the split they started with and complete);
// it must not be called from inside a chunk, which it checks.
#ifndef BASE_THREAD_POOL_H_
#define BASE_THREAD_POOL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace base {

class ThreadPool {
 public:
  // `num_threads` (>= 1) includes the calling thread: 1 runs everything inline.
  explicit ThreadPool(int num_threads);
  // No call may be running on the pool (checked).
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_.load(std::memory_order_relaxed); }

  // Starts or retires workers so that num_threads() == num_threads (>= 1). Safe while other
  // threads call ParallelFor; serialized with other SetNumThreads calls; waits for retiring
  // workers to finish the chunk they are running. Not from inside a chunk (checked).
  void SetNumThreads(int num_threads);

  // Calls fn(begin, end) on disjoint chunks covering [0, n): k = min(num_threads(),
  // max(1, n / min_chunk)) chunks, chunk c = [c*n/k, (c+1)*n/k), and returns when all are
  // done. Chunk 0 runs on the calling thread.
  void ParallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                   int64_t min_chunk = 1);

  // Calls fn(i) for every i in [0, n), handing out one index at a time to whichever thread
  // is free: for few, heavy, uneven items (clips, frames), not for kernels.
  void ParallelForEach(int64_t n, const std::function<void(int64_t)>& fn);

 private:
  struct Job;

  // Runs chunks [0, num_chunks) of [0, n) on the pool and the calling thread.
  void Run(int64_t n, int64_t num_chunks, const std::function<void(int64_t, int64_t)>& fn);
  void WorkerLoop(int worker_index);
  void RemoveJobLocked(Job* job);

  std::atomic<int> num_threads_;
  std::mutex resize_mutex_;  // serializes SetNumThreads; guards workers_
  std::vector<std::thread> workers_;

  std::mutex mutex_;  // guards everything below and every Job's counters
  std::condition_variable work_ready_;
  std::vector<Job*> jobs_;  // calls with chunks not yet claimed, oldest first
  int active_workers_ = 0;  // workers with index >= this exit
  int running_calls_ = 0;   // Run calls that have not returned
};

// The process-wide pool (created on first use, thread-safely) and its shortcuts.
ThreadPool& DefaultThreadPool();
void SetNumThreads(int num_threads);
int GetNumThreads();

inline void ParallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                        int64_t min_chunk = 1) {
  DefaultThreadPool().ParallelFor(n, fn, min_chunk);
}

inline void ParallelForEach(int64_t n, const std::function<void(int64_t)>& fn) {
  DefaultThreadPool().ParallelForEach(n, fn);
}

}  // namespace base

#endif  // BASE_THREAD_POOL_H_
