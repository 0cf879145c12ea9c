// Dropout on the GPU: element i's draw is nn/cpu/dropout_draw.h's, as the CPU kernel's, so a
// seed gives the same mask on either device.
#include <cuda_runtime.h>

#include "nn/cpu/dropout_draw.h"
#include "nn/cuda/cuda_check.h"
#include "nn/cuda/dropout.h"
#include "nn/cuda/launch.h"

namespace nn::cuda {
namespace {

__global__ void MaskKernel(uint64_t stream, float p, float scale, float* mask, int64_t n) {
  NN_CUDA_GRID_STRIDE(i, n) { mask[i] = cpu::MaskEntry(cpu::DropoutBits(stream, i), p, scale); }
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
  MaskKernel<<<BlocksFor(n), kThreadsPerBlock>>>(cpu::DropoutStream(seed), p, cpu::KeepScale(p),
                                                 mask, n);
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
