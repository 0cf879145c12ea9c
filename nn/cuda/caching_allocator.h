// A caching allocator for device memory (plain C++: the raw allocate and free are given, so
// the policy is the same over cudaMalloc or, in tests, host memory). Freed blocks go back
// to a cache and serve later requests of about the same size, so a training loop calls
// cudaMalloc only while its working set grows, never per op in steady state. Every kernel
// runs on the legacy default stream, in order, so a block freed after its last use was
// enqueued may be handed out at once.
//
// Sizes round up to 512 bytes (below 1 MiB) or 1 MiB; a request takes the smallest cached
// block of at least its rounded size and at most 1/8 more, else a new one. When the raw
// allocation fails (out of memory) the cache is released and the allocation retried once.
// Thread-safe.
#ifndef NN_CUDA_CACHING_ALLOCATOR_H_
#define NN_CUDA_CACHING_ALLOCATOR_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

namespace nn::cuda {

struct AllocatorStats {
  size_t in_use = 0;    // bytes of live blocks (rounded sizes)
  size_t reserved = 0;  // bytes held from the raw allocator: live + cached
  size_t peak_in_use = 0;
  size_t peak_reserved = 0;
  int64_t raw_allocations = 0;  // calls of the raw allocator that succeeded
  int64_t raw_frees = 0;
  int64_t cache_hits = 0;  // requests served from the cache
  // The share of reserved bytes not in use (cached, or rounding slack of live blocks).
  double fragmentation() const {
    return reserved == 0 ? 0.0 : 1.0 - static_cast<double>(in_use) / reserved;
  }
  std::string ToString() const;  // "peak 12.0 MiB in use, 16.0 MiB reserved, ..."
};

class CachingAllocator {
 public:
  using RawAllocate = std::function<void*(size_t bytes)>;  // nullptr when out of memory
  using RawFree = std::function<void(void* ptr)>;

  CachingAllocator(RawAllocate allocate, RawFree free);
  ~CachingAllocator();  // releases the cache; live blocks are the owners' to free first
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  // A block of at least `bytes` (nullptr for 0), or nullptr when the raw allocator fails
  // even with the cache released.
  void* Allocate(size_t bytes);
  // Returns a block from Allocate to the cache (null: nothing). Programmer errors (a pointer
  // this allocator did not hand out) are checks.
  void Free(void* ptr);
  // Releases every cached block to the raw allocator.
  void ReleaseCache();
  AllocatorStats stats() const;

  static size_t RoundUp(size_t bytes);

 private:
  void ReleaseCacheLocked();

  RawAllocate raw_allocate_;
  RawFree raw_free_;
  mutable std::mutex mutex_;
  std::multimap<size_t, void*> cache_;      // rounded size -> free block
  std::unordered_map<void*, size_t> live_;  // block -> rounded size
  AllocatorStats stats_;
};

}  // namespace nn::cuda

#endif  // NN_CUDA_CACHING_ALLOCATOR_H_
