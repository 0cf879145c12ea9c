// The caching allocator's policy over host memory (malloc and free as the raw allocator,
// with a byte budget standing for the GPU's memory): reuse, rounding, statistics, the
// release-and-retry when memory runs out, and misuse caught.
#include "nn/cuda/caching_allocator.h"

#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace nn::cuda {
namespace {

// malloc with a budget: fails (nullptr) past `budget` bytes outstanding.
struct HostMemory {
  size_t budget = size_t{1} << 40, outstanding = 0;
  std::unordered_map<void*, size_t> sizes;
  CachingAllocator Allocator() {
    return CachingAllocator(
        [this](size_t bytes) -> void* {
          if (outstanding + bytes > budget) return nullptr;
          void* p = std::malloc(bytes);
          std::memset(p, 0xab, bytes);  // really touch it
          sizes[p] = bytes;
          outstanding += bytes;
          return p;
        },
        [this](void* p) {
          outstanding -= sizes.at(p);
          sizes.erase(p);
          std::free(p);
        });
  }
};

TEST(CachingAllocatorTest, SteadyStateNeedsNoRawAllocation) {
  HostMemory host;
  CachingAllocator allocator = host.Allocator();
  for (int step = 0; step < 10; ++step) {
    std::vector<void*> blocks;
    for (size_t bytes : {size_t{1000}, size_t{4096}, size_t{3} << 20, size_t{100}}) {
      blocks.push_back(allocator.Allocate(bytes));
    }
    for (void* p : blocks) allocator.Free(p);
  }
  const AllocatorStats stats = allocator.stats();
  EXPECT_EQ(stats.raw_allocations, 4);  // the first step's only
  EXPECT_EQ(stats.cache_hits, 36);
  EXPECT_EQ(stats.in_use, 0u);
  EXPECT_EQ(stats.reserved, 1024u + 4096u + (3u << 20) + 512u);
  EXPECT_EQ(stats.peak_in_use, stats.reserved);
  EXPECT_DOUBLE_EQ(stats.fragmentation(), 1.0);  // everything cached, nothing in use
  allocator.ReleaseCache();
  EXPECT_EQ(allocator.stats().reserved, 0u);
  EXPECT_EQ(host.outstanding, 0u);
}

TEST(CachingAllocatorTest, RoundsAndReusesOnlyCloseSizes) {
  EXPECT_EQ(CachingAllocator::RoundUp(1), 512u);
  EXPECT_EQ(CachingAllocator::RoundUp(513), 1024u);
  EXPECT_EQ(CachingAllocator::RoundUp((1u << 20) + 1), 2u << 20);
  HostMemory host;
  CachingAllocator allocator = host.Allocator();
  void* big = allocator.Allocate(8u << 20);
  allocator.Free(big);
  void* small = allocator.Allocate(1u << 20);  // 8 MiB is too wasteful for 1 MiB
  EXPECT_NE(small, big);
  void* close = allocator.Allocate(7u << 20 | 1);  // rounds to 8 MiB: takes the cached block
  EXPECT_EQ(close, big);
  std::set<void*> live = {small, close};
  EXPECT_EQ(live.size(), 2u);
  EXPECT_EQ(allocator.stats().raw_allocations, 2);
  allocator.Free(small);
  allocator.Free(close);
  EXPECT_EQ(allocator.Allocate(0), nullptr);
}

TEST(CachingAllocatorTest, OutOfMemoryReleasesTheCacheAndRetries) {
  HostMemory host;
  host.budget = 10u << 20;
  CachingAllocator allocator = host.Allocator();
  void* a = allocator.Allocate(6u << 20);
  allocator.Free(a);                       // cached: 6 MiB of the 10 still held
  void* b = allocator.Allocate(9u << 20);  // needs the cache released first
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(allocator.stats().reserved, 9u << 20);
  EXPECT_EQ(allocator.stats().raw_frees, 1);
  EXPECT_EQ(allocator.Allocate(2u << 20), nullptr);  // truly out of memory
  allocator.Free(b);
}

TEST(CachingAllocatorDeathTest, ForeignOrDoubleFreeIsAProgrammerError) {
  HostMemory host;
  CachingAllocator allocator = host.Allocator();
  int x = 0;
  EXPECT_DEATH(allocator.Free(&x), "was not allocated here");
  void* p = allocator.Allocate(100);
  allocator.Free(p);
  EXPECT_DEATH(allocator.Free(p), "freed twice");
}

}  // namespace
}  // namespace nn::cuda
