// Readouts on the GPU, one thread per output element (o, i) or input element: each thread
// sums over the axis in order, as the CPU kernel, so the results are the CPU's bits.
#include <cuda_runtime.h>

#include "nn/cuda/cuda_check.h"
#include "nn/cuda/launch.h"
#include "nn/cuda/readout.h"

namespace nn::cuda {
namespace {

__global__ void MeanForwardKernel(const float* x, int64_t outer, int64_t length, int64_t inner,
                                  float* y) {
  const float divisor = static_cast<float>(length);
  NN_CUDA_GRID_STRIDE(k, outer * inner) {
    const int64_t o = k / inner, i = k % inner;
    float sum = 0.0f;
    for (int64_t t = 0; t < length; ++t) sum += x[(o * length + t) * inner + i] / divisor;
    y[k] = sum;
  }
}

__global__ void MeanBackwardKernel(const float* dy, int64_t outer, int64_t length, int64_t inner,
                                   float* dx) {
  const float divisor = static_cast<float>(length);
  NN_CUDA_GRID_STRIDE(k, outer * length * inner) {
    const int64_t o = k / (length * inner), i = k % inner;
    dx[k] += dy[o * inner + i] / divisor;
  }
}

__global__ void SelectForwardKernel(const float* x, int64_t outer, int64_t length, int64_t inner,
                                    int64_t index, float* y) {
  NN_CUDA_GRID_STRIDE(k, outer * inner) {
    const int64_t o = k / inner, i = k % inner;
    y[k] = x[(o * length + index) * inner + i];
  }
}

__global__ void SelectBackwardKernel(const float* dy, int64_t outer, int64_t length, int64_t inner,
                                     int64_t index, float* dx) {
  NN_CUDA_GRID_STRIDE(k, outer * inner) {
    const int64_t o = k / inner, i = k % inner;
    dx[(o * length + index) * inner + i] += dy[k];
  }
}

}  // namespace

void MeanOverAxisForward(const float* x, int64_t outer, int64_t length, int64_t inner, float* y) {
  if (outer * inner == 0) return;
  MeanForwardKernel<<<BlocksFor(outer * inner), kThreadsPerBlock>>>(x, outer, length, inner, y);
  NN_CUDA_CHECK(cudaGetLastError());
}

void MeanOverAxisBackward(const float* dy, int64_t outer, int64_t length, int64_t inner,
                          float* dx) {
  if (outer * length * inner == 0) return;
  MeanBackwardKernel<<<BlocksFor(outer * length * inner), kThreadsPerBlock>>>(dy, outer, length,
                                                                              inner, dx);
  NN_CUDA_CHECK(cudaGetLastError());
}

void SelectIndexForward(const float* x, int64_t outer, int64_t length, int64_t inner, int64_t index,
                        float* y) {
  if (outer * inner == 0) return;
  SelectForwardKernel<<<BlocksFor(outer * inner), kThreadsPerBlock>>>(x, outer, length, inner,
                                                                      index, y);
  NN_CUDA_CHECK(cudaGetLastError());
}

void SelectIndexBackward(const float* dy, int64_t outer, int64_t length, int64_t inner,
                         int64_t index, float* dx) {
  if (outer * inner == 0) return;
  SelectBackwardKernel<<<BlocksFor(outer * inner), kThreadsPerBlock>>>(dy, outer, length, inner,
                                                                       index, dx);
  NN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace nn::cuda
