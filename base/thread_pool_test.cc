// Tests of base::ThreadPool: coverage and the static split, nested calls, many concurrent
// callers (run under --config=tsan too), resizing while callers run, and misuse checks.
#include "base/thread_pool.h"

#include <atomic>
#include <mutex>
#include <numeric>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace base {
namespace {

TEST(ThreadPoolTest, DefaultPoolIsCreatedOnceUnderConcurrentFirstUse) {
  // The first test of the file, so the pool does not exist yet (unless filtered/shuffled).
  std::vector<std::thread> threads;
  std::vector<ThreadPool*> seen(4);
  for (int t = 0; t < 4; ++t) threads.emplace_back([&, t] { seen[t] = &DefaultThreadPool(); });
  for (std::thread& t : threads) t.join();
  for (ThreadPool* p : seen) EXPECT_EQ(p, seen[0]);
}

TEST(ThreadPoolTest, CoversEveryIndexExactlyOnce) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 2, 7, 1000}) {
      std::vector<std::atomic<int>> hits(n);
      pool.ParallelFor(n, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) hits[i]++;
      });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i], 1) << threads << " " << n << " " << i;
    }
  }
}

TEST(ThreadPoolTest, ChunksAreTheStaticSplitAndTheCallerRunsChunkZero) {
  ThreadPool pool(3);
  for (int64_t n : {3, 10, 11, 1000}) {
    std::mutex mutex;
    std::set<std::pair<int64_t, int64_t>> chunks;
    std::thread::id first_chunk_thread;
    pool.ParallelFor(n, [&](int64_t begin, int64_t end) {
      std::lock_guard<std::mutex> lock(mutex);
      chunks.insert({begin, end});
      if (begin == 0) first_chunk_thread = std::this_thread::get_id();
    });
    std::set<std::pair<int64_t, int64_t>> expected;
    for (int64_t c = 0; c < 3; ++c) expected.insert({c * n / 3, (c + 1) * n / 3});
    EXPECT_EQ(chunks, expected) << n;
    EXPECT_EQ(first_chunk_thread, std::this_thread::get_id()) << n;
  }
}

TEST(ThreadPoolTest, UsesAllThreadsAndRespectsMinChunk) {
  ThreadPool pool(4);
  std::atomic<int> chunks{0};
  pool.ParallelFor(100, [&](int64_t, int64_t) { chunks++; });
  EXPECT_EQ(chunks, 4);
  chunks = 0;
  pool.ParallelFor(
      100, [&](int64_t, int64_t) { chunks++; }, /*min_chunk=*/50);
  EXPECT_EQ(chunks, 2);
}

TEST(ThreadPoolTest, NestedCallsRunInline) {
  ThreadPool pool(2);
  std::atomic<int> total{0};
  pool.ParallelFor(4, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const std::thread::id outer = std::this_thread::get_id();
      pool.ParallelFor(10, [&](int64_t b, int64_t e) {
        EXPECT_EQ(std::this_thread::get_id(), outer);
        total += static_cast<int>(e - b);
      });
      pool.ParallelForEach(3, [&](int64_t) { total += 100; });
    }
  });
  EXPECT_EQ(total, 4 * (10 + 300));
}

TEST(ThreadPoolTest, ManyRoundsDoNotLoseWork) {
  ThreadPool pool(2);
  int64_t sum = 0;
  std::vector<int64_t> partial(2);
  for (int round = 0; round < 2000; ++round) {
    pool.ParallelFor(2, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) partial[i] = i + round;
    });
    sum += partial[0] + partial[1];
  }
  EXPECT_EQ(sum, 2000 * 1 + 2 * (1999 * 2000 / 2));
}

TEST(ThreadPoolTest, ParallelForEachVisitsEveryIndexOnce) {
  for (int threads : {1, 2, 5}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 2, 3, 17, 500}) {
      std::vector<std::atomic<int>> hits(n);
      pool.ParallelForEach(n, [&](int64_t i) { hits[i]++; });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i], 1) << threads << " " << n << " " << i;
    }
  }
}

// The sum of i*i over [0, n) computed through `pool`, with each chunk's partial sum kept in
// its own slot and a nested ParallelFor inside every chunk; checked against the formula.
void CheckedSumOfSquares(ThreadPool& pool, int64_t n, int caller, int call) {
  std::vector<int64_t> per_index(n, -1);
  pool.ParallelFor(n, [&](int64_t begin, int64_t end) {
    pool.ParallelFor(end - begin, [&](int64_t b, int64_t e) {
      for (int64_t i = begin + b; i < begin + e; ++i) per_index[i] = i * i;
    });
  });
  const int64_t sum = std::accumulate(per_index.begin(), per_index.end(), int64_t{0});
  ASSERT_EQ(sum, (n - 1) * n * (2 * n - 1) / 6) << "caller " << caller << " call " << call;
}

TEST(ThreadPoolTest, ManyConcurrentCallersEachCompleteAllChunks) {
  ThreadPool pool(3);
  constexpr int kCallers = 8, kCalls = 200;
  std::vector<std::thread> callers;
  std::atomic<int64_t> for_each_total{0};
  for (int t = 0; t < kCallers; ++t) {
    callers.emplace_back([&, t] {
      for (int call = 0; call < kCalls; ++call) {
        const int64_t n = 1 + (t * 131 + call * 17) % 97;
        CheckedSumOfSquares(pool, n, t, call);
        if (call % 10 == 0) {
          pool.ParallelForEach(n, [&](int64_t i) { for_each_total += i; });
        }
      }
    });
  }
  for (std::thread& c : callers) c.join();
  int64_t expected = 0;
  for (int t = 0; t < kCallers; ++t) {
    for (int call = 0; call < kCalls; call += 10) {
      const int64_t n = 1 + (t * 131 + call * 17) % 97;
      expected += n * (n - 1) / 2;
    }
  }
  EXPECT_EQ(for_each_total, expected);
}

TEST(ThreadPoolTest, ResizingWhileCallersRun) {
  ThreadPool pool(2);
  std::atomic<bool> stop{false};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      for (int call = 0; call < 100; ++call) CheckedSumOfSquares(pool, 50 + t + call % 7, t, call);
    });
  }
  std::thread resizer([&] {
    for (int round = 0; !stop; round = (round + 1) % 4) pool.SetNumThreads(1 + round);
  });
  for (std::thread& c : callers) c.join();
  stop = true;
  resizer.join();
  pool.SetNumThreads(3);
  EXPECT_EQ(pool.num_threads(), 3);
  CheckedSumOfSquares(pool, 1000, -1, -1);
}

TEST(ThreadPoolTest, DefaultPoolIsConfigurable) {
  const int saved = GetNumThreads();
  SetNumThreads(3);
  EXPECT_EQ(GetNumThreads(), 3);
  std::atomic<int> chunks{0};
  ParallelFor(30, [&](int64_t, int64_t) { chunks++; });
  EXPECT_EQ(chunks, 3);
  SetNumThreads(1);
  EXPECT_EQ(GetNumThreads(), 1);
  SetNumThreads(saved);
}

TEST(ThreadPoolDeathTest, RejectsAThreadCountBelowOne) {
  EXPECT_DEATH(ThreadPool(0), "thread count must be >= 1 \\(0\\)");
  ThreadPool pool(2);
  EXPECT_DEATH(pool.SetNumThreads(-1), "thread count must be >= 1 \\(-1\\)");
}

TEST(ThreadPoolDeathTest, SetNumThreadsFromAWorkerIsAnError) {
  EXPECT_DEATH(
      {
        ThreadPool pool(2);
        std::atomic<bool> worker_started{false};
        pool.ParallelFor(2, [&](int64_t begin, int64_t) {
          if (begin == 0) {  // the caller's chunk: wait, so that the worker runs chunk 1
            while (!worker_started) std::this_thread::yield();
          } else {
            worker_started = true;
            pool.SetNumThreads(1);
          }
        });
      },
      "called from one of the pool's own workers");
}

}  // namespace
}  // namespace base
