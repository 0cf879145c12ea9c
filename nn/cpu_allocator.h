// Host memory for tensor storage. Large blocks (activations, weights: >= kLargeBlockBytes)
// are mapped pages kept apart from the malloc heap, in a cache that hands a freed block to
// the next request of (nearly) its size; small blocks come from malloc.
//
// Why: glibc serves small objects (shape vectors, closures, per-thread caches) from the same
// heap as tens-of-MB activations. A small chunk that a thread's tcache holds inside a freed
// activation splits that free range, so the next activation of that size no longer fits
// and the heap grows; which thread frees what depends on the thread pool's timing, so the
// resident set of the same inference varied from run to run (448 to 760 MB for ResNeXt-50
// at batch 16, nn/bench). Mapped blocks reused by size are deterministic and, like the
// heap before, reused without new page faults.
//
// Idle blocks are bounded: at most max(kMinIdleBytes, the most bytes of large blocks ever
// in use at once) are kept, least recently freed released first (munmap), so a process
// holds at most about twice its peak of live tensors whatever sizes it sees.
#ifndef NN_CPU_ALLOCATOR_H_
#define NN_CPU_ALLOCATOR_H_

#include <cstddef>
#include <cstdint>

namespace nn {

inline constexpr size_t kLargeBlockBytes = size_t{1} << 20;
inline constexpr int64_t kMinIdleBytes = int64_t{64} << 20;

// `bytes` (> 0) of host memory aligned to `alignment` (a power of two <= 4096), with
// unspecified contents. Aborts when out of memory.
void* AllocateHost(size_t bytes, size_t alignment);
// Frees what AllocateHost(bytes, ...) returned; `bytes` must be the same.
void FreeHost(void* data, size_t bytes);

struct HostAllocatorStats {
  int64_t large_in_use_bytes = 0;  // large blocks held by tensors
  int64_t large_in_use_peak = 0;   // the most at any time
  int64_t large_idle_bytes = 0;    // freed large blocks kept for reuse
  int64_t maps = 0;                // large blocks mapped so far
  int64_t unmaps = 0;              // large blocks released so far
  int64_t reuses = 0;              // large requests served from the idle blocks
};
HostAllocatorStats GetHostAllocatorStats();

}  // namespace nn

#endif  // NN_CPU_ALLOCATOR_H_
