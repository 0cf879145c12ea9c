// Tests of the host allocator: large blocks are reused by size without new mappings, idle
// blocks stay under their cap, small blocks come from malloc, alignment, and concurrent use.
#include "nn/cpu_allocator.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "nn/tensor.h"

namespace nn {
namespace {

class HostAllocatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const HostAllocatorStats before = GetHostAllocatorStats();
    void* probe = AllocateHost(kLargeBlockBytes, 64);
    const HostAllocatorStats after = GetHostAllocatorStats();
    const bool mapped = after.maps + after.reuses > before.maps + before.reuses;
    FreeHost(probe, kLargeBlockBytes);
    if (!mapped) GTEST_SKIP() << "AddressSanitizer build: every block is a plain heap block";
  }
};

TEST_F(HostAllocatorTest, AFreedLargeBlockServesTheNextRequestOfItsSize) {
  const size_t bytes = 3 * kLargeBlockBytes + 123;
  void* first = AllocateHost(bytes, 64);
  std::memset(first, 1, bytes);
  FreeHost(first, bytes);
  const HostAllocatorStats before = GetHostAllocatorStats();
  void* second = AllocateHost(bytes, 64);
  const HostAllocatorStats after = GetHostAllocatorStats();
  EXPECT_EQ(second, first);
  EXPECT_EQ(after.maps, before.maps);
  EXPECT_EQ(after.reuses, before.reuses + 1);
  EXPECT_GE(after.large_in_use_bytes, before.large_in_use_bytes + static_cast<int64_t>(bytes));
  FreeHost(second, bytes);
  EXPECT_EQ(GetHostAllocatorStats().large_in_use_bytes, before.large_in_use_bytes);
}

TEST_F(HostAllocatorTest, ABlockIsReusedOnlyForRequestsNearItsSize) {
  const size_t big = 16 * kLargeBlockBytes;
  void* block = AllocateHost(big, 64);
  FreeHost(block, big);
  const int64_t maps = GetHostAllocatorStats().maps;
  // Less than 8/9 of the block: a new mapping rather than a block that wastes over 1/8.
  const size_t small = 2 * kLargeBlockBytes;
  void* other = AllocateHost(small, 64);
  EXPECT_NE(other, block);
  EXPECT_EQ(GetHostAllocatorStats().maps, maps + 1);
  // Within 1/8 of the block's size: the block.
  const size_t near = big - big / 10;
  void* reused = AllocateHost(near, 64);
  EXPECT_EQ(reused, block);
  std::memset(reused, 2, near);
  FreeHost(reused, near);
  FreeHost(other, small);
}

TEST_F(HostAllocatorTest, IdleBlocksStayUnderTheCap) {
  const HostAllocatorStats before = GetHostAllocatorStats();
  // 200 distinct sizes, each freed before the next: without a cap 200+ MiB would stay idle.
  for (int i = 0; i < 200; ++i) {
    const size_t bytes = kLargeBlockBytes + static_cast<size_t>(i) * (kLargeBlockBytes / 4);
    auto* data = static_cast<unsigned char*>(AllocateHost(bytes, 64));
    data[0] = data[bytes - 1] = 3;  // the ends are writable (touching every page is slow)
    FreeHost(data, bytes);
    const HostAllocatorStats stats = GetHostAllocatorStats();
    ASSERT_LE(stats.large_idle_bytes, std::max(kMinIdleBytes, stats.large_in_use_peak)) << i;
  }
  const HostAllocatorStats after = GetHostAllocatorStats();
  EXPECT_GT(after.unmaps, before.unmaps);
  EXPECT_EQ(after.large_in_use_bytes, before.large_in_use_bytes);
}

TEST_F(HostAllocatorTest, ConcurrentAllocationsFromManyThreads) {
  const int64_t in_use = GetHostAllocatorStats().large_in_use_bytes;
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 1);  // not vector<bool>: threads write their own element
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([t, &ok] {
      for (int k = 0; k < 50; ++k) {
        const size_t bytes = kLargeBlockBytes * (1 + (t + k) % 3);
        auto* data = static_cast<unsigned char*>(AllocateHost(bytes, 64));
        std::memset(data, t, bytes);
        if (data[0] != t || data[bytes - 1] != t) ok[t] = 0;
        FreeHost(data, bytes);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < 8; ++t) EXPECT_TRUE(ok[t]) << "thread " << t;
  EXPECT_EQ(GetHostAllocatorStats().large_in_use_bytes, in_use);
}

TEST(HostAllocatorAlignmentTest, SmallAndLargeBlocksAreAligned) {
  for (size_t bytes : {size_t{1}, size_t{100}, size_t{4096}, kLargeBlockBytes - 1, kLargeBlockBytes,
                       5 * kLargeBlockBytes + 7}) {
    void* data = AllocateHost(bytes, Storage::kCpuAlignment);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(data) % Storage::kCpuAlignment, 0u) << bytes;
    std::memset(data, 0, bytes);
    FreeHost(data, bytes);
  }
}

using HostAllocatorDeathTest = HostAllocatorTest;

TEST_F(HostAllocatorDeathTest, FreeingAnUnknownLargeBlockDies) {
  int on_stack = 0;
  EXPECT_DEATH(FreeHost(&on_stack, kLargeBlockBytes), "is not a live large block");
}

}  // namespace
}  // namespace nn
