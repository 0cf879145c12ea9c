// Dropout CPU kernels: SplitMix64 of (seed, index) gives each element an independent
// uniform draw (nn/cpu/dropout_draw.h); elementwise loops split by ParallelFor.
#include "nn/cpu/dropout.h"

#include "base/thread_pool.h"
#include "nn/cpu/dropout_draw.h"

namespace nn::cpu {
namespace {

constexpr int64_t kMinElementsPerThread = 1 << 15;

}  // namespace

void DropoutMask(uint64_t seed, float p, float* mask, int64_t n) {
  const float scale = KeepScale(p);
  const uint64_t stream = DropoutStream(seed);
  base::ParallelFor(
      n,
      [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) mask[i] = MaskEntry(DropoutBits(stream, i), p, scale);
      },
      kMinElementsPerThread);
}

void DropoutApply(const float* x, const float* mask, float* y, int64_t n) {
  base::ParallelFor(
      n,
      [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) y[i] = x[i] * mask[i];
      },
      kMinElementsPerThread);
}

// y = x * mask: dx = dy * mask.
void DropoutBackward(const float* dy, const float* mask, float* dx, int64_t n) {
  base::ParallelFor(
      n,
      [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) dx[i] += dy[i] * mask[i];
      },
      kMinElementsPerThread);
}

}  // namespace nn::cpu
