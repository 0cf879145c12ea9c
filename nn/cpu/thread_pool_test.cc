#include "nn/cpu/thread_pool.h"

#include <atomic>
#include <vector>

#include "gtest/gtest.h"

namespace nn::cpu {
namespace {

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

TEST(ThreadPoolTest, UsesAllThreadsAndRespectsMinChunk) {
  ThreadPool pool(4);
  std::atomic<int> chunks{0};
  pool.ParallelFor(100, [&](int64_t, int64_t) { chunks++; });
  EXPECT_EQ(chunks, 4);
  chunks = 0;
  pool.ParallelFor(100, [&](int64_t, int64_t) { chunks++; }, /*min_chunk=*/50);
  EXPECT_EQ(chunks, 2);
}

TEST(ThreadPoolTest, NestedCallsRunInline) {
  ThreadPool pool(2);
  std::atomic<int> total{0};
  pool.ParallelFor(4, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      pool.ParallelFor(10, [&](int64_t b, int64_t e) { total += static_cast<int>(e - b); });
    }
  });
  EXPECT_EQ(total, 40);
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

TEST(ThreadPoolTest, DefaultPoolIsConfigurable) {
  SetNumThreads(3);
  EXPECT_EQ(GetNumThreads(), 3);
  SetNumThreads(1);
  EXPECT_EQ(GetNumThreads(), 1);
}

}  // namespace
}  // namespace nn::cpu
