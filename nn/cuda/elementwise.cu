// Elementwise CUDA kernels: grid-stride loops, one float per thread step.
#include <cuda_runtime.h>

#include <algorithm>

#include "nn/cuda/cuda_check.h"
#include "nn/cuda/elementwise.h"

namespace nn::cuda {
namespace {

constexpr int kThreadsPerBlock = 256;

int BlocksFor(int64_t n) {
  // Enough blocks to fill any current GPU; the grid-stride loop covers the rest.
  const int64_t blocks = (n + kThreadsPerBlock - 1) / kThreadsPerBlock;
  return static_cast<int>(std::min<int64_t>(std::max<int64_t>(blocks, 1), 65535));
}

__global__ void AddKernel(const float* a, const float* b, float* out, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    out[i] = a[i] + b[i];
  }
}

__global__ void AccumulateKernel(const float* src, float* dst, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    dst[i] += src[i];
  }
}

}  // namespace

void Add(const float* a, const float* b, float* out, int64_t n) {
  if (n == 0) return;
  AddKernel<<<BlocksFor(n), kThreadsPerBlock>>>(a, b, out, n);
  NN_CUDA_CHECK(cudaGetLastError());
}

void Accumulate(const float* src, float* dst, int64_t n) {
  if (n == 0) return;
  AccumulateKernel<<<BlocksFor(n), kThreadsPerBlock>>>(src, dst, n);
  NN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace nn::cuda
