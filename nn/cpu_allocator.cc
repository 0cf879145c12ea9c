// The host allocator: malloc for small blocks; for large ones, mapped pages and an idle list
// (least recently freed first) searched best-fit under one mutex.
#include "nn/cpu_allocator.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "nn/check.h"

#if defined(__SANITIZE_ADDRESS__)
#define NN_HOST_ALLOCATOR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NN_HOST_ALLOCATOR_ASAN 1
#endif
#endif

namespace nn {
namespace {

constexpr size_t kPageBytes = 4096;
// A request takes an idle block at most this fraction (1/8) larger than itself.
constexpr size_t kSlackDivisor = 8;

struct Block {
  void* data;
  size_t bytes;  // mapped bytes, a multiple of the page size
};

class LargeBlockCache {
 public:
  void* Acquire(size_t bytes) {
    bytes = PageRound(bytes);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto best = idle_.end();
      for (auto it = idle_.begin(); it != idle_.end(); ++it) {
        if (it->bytes >= bytes && it->bytes <= bytes + bytes / kSlackDivisor &&
            (best == idle_.end() || it->bytes < best->bytes)) {
          best = it;
        }
      }
      if (best != idle_.end()) {
        const Block block = *best;
        idle_.erase(best);
        stats_.large_idle_bytes -= block.bytes;
        stats_.large_in_use_bytes += block.bytes;
        stats_.large_in_use_peak = std::max(stats_.large_in_use_peak, stats_.large_in_use_bytes);
        ++stats_.reuses;
        in_use_.push_back(block);
        return block.data;
      }
      stats_.large_in_use_bytes += bytes;
      stats_.large_in_use_peak = std::max(stats_.large_in_use_peak, stats_.large_in_use_bytes);
      ++stats_.maps;
    }
    void* data = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    NN_CHECK(data != MAP_FAILED) << "out of memory mapping " << bytes << " bytes for a tensor";
    std::lock_guard<std::mutex> lock(mutex_);
    in_use_.push_back({data, bytes});
    return data;
  }

  void Release(void* data) {
    std::vector<Block> evicted;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // The block's mapped size (a reused block may be larger than its request).
      auto it = std::find_if(in_use_.rbegin(), in_use_.rend(),
                             [data](const Block& b) { return b.data == data; });
      NN_CHECK(it != in_use_.rend()) << "FreeHost: " << data << " is not a live large block";
      const Block block = *it;
      in_use_.erase(std::next(it).base());
      stats_.large_in_use_bytes -= block.bytes;
      idle_.push_back(block);
      stats_.large_idle_bytes += block.bytes;
      const int64_t cap = std::max(kMinIdleBytes, stats_.large_in_use_peak);
      while (stats_.large_idle_bytes > cap) {
        evicted.push_back(idle_.front());
        stats_.large_idle_bytes -= idle_.front().bytes;
        idle_.erase(idle_.begin());
      }
      stats_.unmaps += static_cast<int64_t>(evicted.size());
    }
    for (const Block& b : evicted) munmap(b.data, b.bytes);
  }

  HostAllocatorStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

 private:
  static size_t PageRound(size_t bytes) {
    return (bytes + kPageBytes - 1) / kPageBytes * kPageBytes;
  }

  std::mutex mutex_;
  std::vector<Block> idle_;    // least recently freed first
  std::vector<Block> in_use_;  // held by tensors (a few hundred at most)
  HostAllocatorStats stats_;
};

LargeBlockCache& Cache() {
  static LargeBlockCache* const cache = new LargeBlockCache();  // never destroyed: used at exit
  return *cache;
}

}  // namespace

void* AllocateHost(size_t bytes, size_t alignment) {
  NN_CHECK(alignment > 0 && (alignment & (alignment - 1)) == 0 && alignment <= kPageBytes)
      << "AllocateHost: alignment " << alignment;
#ifndef NN_HOST_ALLOCATOR_ASAN
  // Under AddressSanitizer every block is its own exact-size heap block, so overruns are
  // caught.
  if (bytes >= kLargeBlockBytes) return Cache().Acquire(bytes);
#endif
  // aligned_alloc wants a multiple of the alignment; never zero bytes.
  const size_t rounded = (bytes + alignment - 1) / alignment * alignment;
  void* data = std::aligned_alloc(alignment, rounded == 0 ? alignment : rounded);
  NN_CHECK(data != nullptr) << "out of memory allocating " << bytes << " bytes";
  return data;
}

void FreeHost(void* data, size_t bytes) {
  if (data == nullptr) return;
#ifndef NN_HOST_ALLOCATOR_ASAN
  if (bytes >= kLargeBlockBytes) {
    Cache().Release(data);
    return;
  }
#endif
  std::free(data);
}

HostAllocatorStats GetHostAllocatorStats() { return Cache().stats(); }

}  // namespace nn
