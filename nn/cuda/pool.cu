// Global average pooling on the GPU: one thread per plane sums it in double, in order (the
// CPU's bits); the backward spreads each plane's share, one thread per input element.
#include <cuda_runtime.h>

#include "nn/cuda/cuda_check.h"
#include "nn/cuda/launch.h"
#include "nn/cuda/pool.h"

namespace nn::cuda {
namespace {

__global__ void GlobalAvgForwardKernel(int64_t planes, int64_t hw, const float* input,
                                       float* output) {
  NN_CUDA_GRID_STRIDE(plane, planes) {
    const float* x = input + plane * hw;
    double sum = 0;
    for (int64_t i = 0; i < hw; ++i) sum += x[i];
    output[plane] = static_cast<float>(sum / static_cast<double>(hw));
  }
}

__global__ void GlobalAvgBackwardKernel(int64_t planes, int64_t hw, const float* output_grad,
                                        float* input_grad) {
  NN_CUDA_GRID_STRIDE(k, planes * hw) {
    input_grad[k] += output_grad[k / hw] / static_cast<float>(hw);
  }
}

}  // namespace

void GlobalAvgPool2dForward(int64_t planes, int64_t hw, const float* input, float* output) {
  if (planes == 0) return;
  GlobalAvgForwardKernel<<<BlocksFor(planes), kThreadsPerBlock>>>(planes, hw, input, output);
  NN_CUDA_CHECK(cudaGetLastError());
}

void GlobalAvgPool2dBackward(int64_t planes, int64_t hw, const float* output_grad,
                             float* input_grad) {
  if (planes * hw == 0) return;
  GlobalAvgBackwardKernel<<<BlocksFor(planes * hw), kThreadsPerBlock>>>(planes, hw, output_grad,
                                                                        input_grad);
  NN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace nn::cuda
