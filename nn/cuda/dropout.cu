// Dropout on the GPU: element i's draw is SplitMix64 of (seed, i), exactly as the CPU
// kernel, so a seed gives the same mask on either device.
#include <cuda_runtime.h>

#include "nn/cuda/cuda_check.h"
#include "nn/cuda/dropout.h"
#include "nn/cuda/launch.h"

namespace nn::cuda {
namespace {

__host__ __device__ uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

__global__ void MaskKernel(uint64_t base, float p, float scale, float* mask, int64_t n) {
  NN_CUDA_GRID_STRIDE(i, n) {
    const uint64_t bits = Mix(base + 0x9e3779b97f4a7c15ULL * (static_cast<uint64_t>(i) + 1));
    const float u = static_cast<float>(bits >> 40) * (1.0f / 16777216.0f);
    mask[i] = u >= p ? scale : 0.0f;
  }
}

__global__ void ApplyKernel(const float* x, const float* mask, float* y, int64_t n) {
  NN_CUDA_GRID_STRIDE(i, n) { y[i] = x[i] * mask[i]; }
}

__global__ void BackwardKernel(const float* dy, const float* mask, float* dx, int64_t n) {
  NN_CUDA_GRID_STRIDE(i, n) { dx[i] += dy[i] * mask[i]; }
}

}  // namespace

void DropoutMask(uint64_t seed, float p, float* mask, int64_t n) {
  if (n == 0) return;
  const float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
  MaskKernel<<<BlocksFor(n), kThreadsPerBlock>>>(Mix(seed), p, scale, mask, n);
  NN_CUDA_CHECK(cudaGetLastError());
}

void DropoutApply(const float* x, const float* mask, float* y, int64_t n) {
  if (n == 0) return;
  ApplyKernel<<<BlocksFor(n), kThreadsPerBlock>>>(x, mask, y, n);
  NN_CUDA_CHECK(cudaGetLastError());
}

void DropoutBackward(const float* dy, const float* mask, float* dx, int64_t n) {
  if (n == 0) return;
  BackwardKernel<<<BlocksFor(n), kThreadsPerBlock>>>(dy, mask, dx, n);
  NN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace nn::cuda
