// A fork-join pool shared by many callers: a FIFO of calls (jobs) with per-job chunk
// counters, all under one mutex. Idle workers claim the next chunk of the oldest job; the
// caller runs chunk 0, then claims its own job's remaining chunks, then waits for the
// chunks other threads claimed. A call therefore never depends on a free worker, which is
// what makes concurrent callers, nested calls and resizing safe.
#include "base/thread_pool.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace base {
namespace {

// Whether this thread is running a chunk of some pool (nested calls then run inline).
thread_local bool in_parallel_region = false;
// The pool whose worker this thread is, if any.
thread_local const ThreadPool* worker_of = nullptr;

void CheckOrDie(bool condition, const char* message, int value = 0) {
  if (condition) return;
  std::fprintf(stderr, "base::ThreadPool: check failed: %s (%d)\n", message, value);
  std::abort();
}

}  // namespace

struct ThreadPool::Job {
  const std::function<void(int64_t, int64_t)>* fn;
  int64_t n;
  int64_t num_chunks;
  int64_t next_chunk;            // the next chunk nobody has claimed; chunk 0 is the caller's
  int64_t unfinished;            // chunks claimed or not whose fn has not returned
  std::condition_variable done;  // signalled when `unfinished` reaches 0 on a worker

  void RunChunk(int64_t c) const {
    // Chunk c = [c*n/k, (c+1)*n/k); with k == n that is [c, c+1) (and c*n cannot overflow).
    if (num_chunks == n) {
      (*fn)(c, c + 1);
    } else {
      (*fn)(c * n / num_chunks, (c + 1) * n / num_chunks);
    }
  }
};

ThreadPool::ThreadPool(int num_threads) : num_threads_(1) {
  CheckOrDie(num_threads >= 1, "ThreadPool: thread count must be >= 1", num_threads);
  SetNumThreads(num_threads);
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    CheckOrDie(running_calls_ == 0, "~ThreadPool: calls still running on the pool", running_calls_);
    active_workers_ = 0;
  }
  work_ready_.notify_all();
  std::lock_guard<std::mutex> resize_lock(resize_mutex_);
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::SetNumThreads(int num_threads) {
  CheckOrDie(num_threads >= 1, "SetNumThreads: thread count must be >= 1", num_threads);
  CheckOrDie(worker_of != this,
             "SetNumThreads: called from one of the pool's own workers (it would join itself)");
  std::lock_guard<std::mutex> resize_lock(resize_mutex_);
  const int workers = num_threads - 1;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    active_workers_ = workers;
    num_threads_.store(num_threads, std::memory_order_relaxed);
  }
  if (workers < static_cast<int>(workers_.size())) {
    // Workers at index >= `workers` exit once they are between chunks.
    work_ready_.notify_all();
    for (size_t i = workers; i < workers_.size(); ++i) workers_[i].join();
    workers_.resize(workers);
  }
  while (static_cast<int>(workers_.size()) < workers) {
    const int index = static_cast<int>(workers_.size());
    workers_.emplace_back([this, index] { WorkerLoop(index); });
  }
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
  Run(n, num_chunks, fn);
}

void ThreadPool::ParallelForEach(int64_t n, const std::function<void(int64_t)>& fn) {
  if (n <= 0) return;
  if (n == 1 || num_threads() == 1 || in_parallel_region) {
    for (int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  Run(n, n, [&fn](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) fn(i);
  });
}

void ThreadPool::Run(int64_t n, int64_t num_chunks,
                     const std::function<void(int64_t, int64_t)>& fn) {
  Job job;
  job.fn = &fn;
  job.n = n;
  job.num_chunks = num_chunks;
  job.next_chunk = 1;
  job.unfinished = num_chunks;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.push_back(&job);
    ++running_calls_;
  }
  if (num_chunks == 2) {
    work_ready_.notify_one();
  } else {
    work_ready_.notify_all();
  }
  in_parallel_region = true;
  job.RunChunk(0);
  std::unique_lock<std::mutex> lock(mutex_);
  --job.unfinished;
  // Help with this call's own chunks that no worker has claimed yet.
  while (job.next_chunk < job.num_chunks) {
    const int64_t c = job.next_chunk++;
    if (job.next_chunk == job.num_chunks) RemoveJobLocked(&job);
    lock.unlock();
    job.RunChunk(c);
    lock.lock();
    --job.unfinished;
  }
  in_parallel_region = false;
  // `job` lives on this stack: workers touch it only under mutex_, and the last one
  // signals before releasing the mutex.
  job.done.wait(lock, [&job] { return job.unfinished == 0; });
  --running_calls_;
}

void ThreadPool::RemoveJobLocked(Job* job) {
  jobs_.erase(std::find(jobs_.begin(), jobs_.end(), job));
}

void ThreadPool::WorkerLoop(int worker_index) {
  in_parallel_region = true;
  worker_of = this;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_ready_.wait(lock, [&] { return worker_index >= active_workers_ || !jobs_.empty(); });
    if (worker_index >= active_workers_) return;
    Job* job = jobs_.front();
    const int64_t c = job->next_chunk++;
    if (job->next_chunk == job->num_chunks) RemoveJobLocked(job);
    lock.unlock();
    job->RunChunk(c);
    lock.lock();
    if (--job->unfinished == 0) job->done.notify_one();
  }
}

ThreadPool& DefaultThreadPool() {
  // Never destroyed: workers may still be waiting when static destructors run.
  static ThreadPool* const pool =
      new ThreadPool(std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
  return *pool;
}

void SetNumThreads(int num_threads) { DefaultThreadPool().SetNumThreads(num_threads); }

int GetNumThreads() { return DefaultThreadPool().num_threads(); }

}  // namespace base
