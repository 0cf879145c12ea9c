// The scratch cache: idle buffers in return order under one mutex; a lease takes the
// smallest idle buffer that fits (best fit), or maps a new one.
#include "nn/cpu/scratch.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "nn/check.h"

#if defined(__SANITIZE_ADDRESS__)
#define NN_SCRATCH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NN_SCRATCH_ASAN 1
#endif
#endif

namespace nn::cpu {
namespace {

constexpr size_t kPageBytes = 4096;

struct Block {
  void* data;
  size_t bytes;
};

class ScratchCache {
 public:
  Block Acquire(size_t bytes) {
#ifdef NN_SCRATCH_ASAN
    bytes = (bytes + 63) / 64 * 64;
#else
    bytes = (bytes + kPageBytes - 1) / kPageBytes * kPageBytes;
#endif
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto best = idle_.end();
      for (auto it = idle_.begin(); it != idle_.end(); ++it) {
        if (it->bytes >= bytes && (best == idle_.end() || it->bytes < best->bytes)) best = it;
      }
      if (best != idle_.end()) {
        const Block block = *best;
        idle_.erase(best);
        stats_.cached_bytes -= block.bytes;
        stats_.leased_bytes += block.bytes;
        return block;
      }
      stats_.leased_bytes += bytes;
      ++stats_.maps;
      stats_.mapped_bytes_peak =
          std::max(stats_.mapped_bytes_peak, stats_.leased_bytes + stats_.cached_bytes);
    }
    return {Map(bytes), bytes};
  }

  void Release(Block block) {
    std::vector<Block> evicted;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stats_.leased_bytes -= block.bytes;
      idle_.push_back(block);
      stats_.cached_bytes += block.bytes;
      while (stats_.cached_bytes > kCapBytes) {  // least recently returned first
        evicted.push_back(idle_.front());
        stats_.cached_bytes -= idle_.front().bytes;
        idle_.erase(idle_.begin());
      }
      stats_.unmaps += evicted.size();
    }
    for (const Block& b : evicted) Unmap(b);
  }

  ScratchStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

 private:
#ifdef NN_SCRATCH_ASAN
  // Nothing is cached, so every lease is a fresh exact-size block that ASan guards.
  static constexpr int64_t kCapBytes = 0;
  static void* Map(size_t bytes) {
    void* data = std::aligned_alloc(64, bytes);
    NN_CHECK(data != nullptr) << "out of memory allocating " << bytes << " bytes of scratch";
    return data;
  }
  static void Unmap(const Block& block) { std::free(block.data); }
#else
  static constexpr int64_t kCapBytes = kScratchCacheBytes;
  static void* Map(size_t bytes) {
    void* data = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    NN_CHECK(data != MAP_FAILED) << "out of memory mapping " << bytes << " bytes of scratch";
    return data;
  }
  static void Unmap(const Block& block) { munmap(block.data, block.bytes); }
#endif

  std::mutex mutex_;
  std::vector<Block> idle_;  // least recently returned first
  ScratchStats stats_;
};

ScratchCache& Cache() {
  static ScratchCache* const cache = new ScratchCache();  // never destroyed: used at exit
  return *cache;
}

}  // namespace

ScratchBuffer::~ScratchBuffer() {
  if (data_ != nullptr) Cache().Release({data_, bytes_});
}

float* ScratchBuffer::Floats(int64_t count) {
  const size_t bytes = static_cast<size_t>(std::max<int64_t>(count, 1)) * sizeof(float);
  if (bytes <= bytes_) return static_cast<float*>(data_);
  if (data_ != nullptr) Cache().Release({data_, bytes_});
  const Block block = Cache().Acquire(bytes);
  data_ = block.data;
  bytes_ = block.bytes;
  return static_cast<float*>(data_);
}

ScratchStats GetScratchStats() { return Cache().stats(); }

}  // namespace nn::cpu
