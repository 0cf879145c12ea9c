// Scratch memory for CPU kernels: a buffer leased for one chunk of a ParallelFor from one
// process-wide cache, instead of per-thread buffers that stay at their peak for the life of
// the process. A lease returns its buffer to the cache when it goes out of scope; the cache
// keeps at most kScratchCacheBytes of idle buffers (least recently returned go first) and
// unmaps the rest, so idle scratch is bounded whatever the input sizes and however many
// threads ever ran a kernel. Buffers are mmap'd: released scratch goes back to the kernel
// (the tensor allocator keeps freed heap memory on purpose, see nn/tensor.cc).
//
//   base::ParallelFor(tasks, [&](int64_t begin, int64_t end) {
//     ScratchBuffer col;
//     for (int64_t t = begin; t < end; ++t) Im2Col(..., col.Floats(k * len));
//   });
//
// Under AddressSanitizer every lease is its own exact-size heap block, so overruns are caught.
#ifndef NN_CPU_SCRATCH_H_
#define NN_CPU_SCRATCH_H_

#include <cstddef>
#include <cstdint>

namespace nn::cpu {

// Idle bytes the cache keeps for reuse.
inline constexpr int64_t kScratchCacheBytes = int64_t{64} << 20;

class ScratchBuffer {
 public:
  ScratchBuffer() = default;
  ~ScratchBuffer();
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;

  // At least `count` floats, 64-byte aligned, with unspecified contents; valid until the
  // next call with a larger count or the end of the lease. A call with a count the buffer
  // already holds returns the same memory, contents kept.
  float* Floats(int64_t count);

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

struct ScratchStats {
  int64_t leased_bytes = 0;       // held by live ScratchBuffers
  int64_t cached_bytes = 0;       // idle, kept for reuse (<= kScratchCacheBytes)
  int64_t mapped_bytes_peak = 0;  // the most leased + cached at any time
  int64_t maps = 0;               // buffers allocated so far
  int64_t unmaps = 0;             // buffers released so far
};
ScratchStats GetScratchStats();

}  // namespace nn::cpu

#endif  // NN_CPU_SCRATCH_H_
