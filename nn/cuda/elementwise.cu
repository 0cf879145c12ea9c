// Elementwise CUDA kernels: grid-stride loops, one float per thread step.
#include <cuda_runtime.h>

#include "nn/cuda/cuda_check.h"
#include "nn/cuda/elementwise.h"
#include "nn/cuda/launch.h"

namespace nn::cuda {
namespace {

__global__ void AddKernel(const float* a, const float* b, float* out, int64_t n) {
  NN_CUDA_GRID_STRIDE(i, n) { out[i] = a[i] + b[i]; }
}

__global__ void AccumulateKernel(const float* src, float* dst, int64_t n) {
  NN_CUDA_GRID_STRIDE(i, n) { dst[i] += src[i]; }
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
