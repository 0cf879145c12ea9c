// Dropout CPU kernels: SplitMix64 of (seed, index) gives each element an independent
// uniform draw; elementwise loops split by ParallelFor.
#include "nn/cpu/dropout.h"

#include "base/thread_pool.h"

namespace nn::cpu {
namespace {

constexpr int64_t kMinElementsPerThread = 1 << 15;

// SplitMix64's output function (Steele, Lea, Flood 2014): a bijective 64-bit mixer.
uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

void DropoutMask(uint64_t seed, float p, float* mask, int64_t n) {
  const float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
  // The stream of `seed`: element i is the (i+1)-th SplitMix64 state after Mix(seed).
  const uint64_t base = Mix(seed);
  base::ParallelFor(
      n,
      [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          const uint64_t bits = Mix(base + 0x9e3779b97f4a7c15ULL * (static_cast<uint64_t>(i) + 1));
          // A uniform draw in [0, 1) on a 2^-24 grid (exact in float32); keep when u >= p.
          const float u = static_cast<float>(bits >> 40) * (1.0f / 16777216.0f);
          mask[i] = u >= p ? scale : 0.0f;
        }
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
