// Tests of the kernel scratch cache: leases reuse idle buffers, idle memory stays under the
// cap, large buffers are released, and concurrent leases from many threads balance out.
#include "nn/cpu/scratch.h"

#include <cstring>
#include <thread>
#include <vector>

#include "base/thread_pool.h"
#include "gtest/gtest.h"

namespace nn::cpu {
namespace {

TEST(ScratchTest, GrowsOnDemandAndKeepsContentsForSmallerCounts) {
  ScratchBuffer buffer;
  float* a = buffer.Floats(1000);
  for (int i = 0; i < 1000; ++i) a[i] = static_cast<float>(i);
  EXPECT_EQ(buffer.Floats(10), a);
  EXPECT_EQ(buffer.Floats(1000), a);
  EXPECT_EQ(a[999], 999.0f);
  float* b = buffer.Floats(1 << 20);  // larger: new memory, all of it writable
  std::memset(b, 0, sizeof(float) << 20);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b) % 64, 0u);
}

TEST(ScratchTest, AReturnedBufferIsReusedNotMappedAgain) {
  {
    ScratchBuffer warm;
    warm.Floats(300000);
  }
  const ScratchStats before = GetScratchStats();
  for (int i = 0; i < 100; ++i) {
    ScratchBuffer buffer;
    buffer.Floats(300000 - i);
  }
  const ScratchStats after = GetScratchStats();
#if !defined(__SANITIZE_ADDRESS__)
  EXPECT_EQ(after.maps, before.maps);
#endif
  EXPECT_EQ(after.leased_bytes, before.leased_bytes);
}

TEST(ScratchTest, IdleMemoryStaysUnderTheCapAndLargeBuffersAreReleased) {
  const ScratchStats before = GetScratchStats();
  {
    ScratchBuffer huge;
    huge.Floats(kScratchCacheBytes / sizeof(float) + 1);  // more than the cache keeps
    EXPECT_GT(GetScratchStats().leased_bytes, kScratchCacheBytes);
  }
  const ScratchStats after = GetScratchStats();
  EXPECT_LE(after.cached_bytes, kScratchCacheBytes);
  EXPECT_GT(after.unmaps, before.unmaps);
  EXPECT_EQ(after.leased_bytes, before.leased_bytes);
  // Many different sizes, as alternating input shapes ask for: idle memory stays capped.
  for (int64_t mb = 1; mb <= 40; ++mb) {
    ScratchBuffer a, b;
    a.Floats(mb << 18);
    b.Floats((41 - mb) << 18);
  }
  EXPECT_LE(GetScratchStats().cached_bytes, kScratchCacheBytes);
}

TEST(ScratchTest, ConcurrentLeasesFromManyThreads) {
  base::ThreadPool pool(4);
  std::vector<std::thread> callers;
  for (int t = 0; t < 6; ++t) {
    callers.emplace_back([&, t] {
      for (int call = 0; call < 50; ++call) {
        pool.ParallelFor(8, [&](int64_t begin, int64_t end) {
          ScratchBuffer buffer;
          for (int64_t i = begin; i < end; ++i) {
            const int64_t count = 1000 * (1 + (t + call + i) % 7);
            float* data = buffer.Floats(count);
            for (int64_t k = 0; k < count; ++k) data[k] = static_cast<float>(i);
            for (int64_t k = 0; k < count; ++k) ASSERT_EQ(data[k], static_cast<float>(i));
          }
        });
      }
    });
  }
  for (std::thread& c : callers) c.join();
  const ScratchStats stats = GetScratchStats();
  EXPECT_EQ(stats.leased_bytes, 0);
  EXPECT_LE(stats.cached_bytes, kScratchCacheBytes);
}

}  // namespace
}  // namespace nn::cpu
