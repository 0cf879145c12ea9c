// CUDA kernels for pooling; same contracts as nn/cpu/pool.h, on device pointers (the
// max-pool argmax too: nn/ops/pool.cc keeps it on the GPU for CUDA tensors).
#ifndef NN_CUDA_POOL_H_
#define NN_CUDA_POOL_H_

#include <cstdint>

#include "nn/cpu/pool_geometry.h"

namespace nn::cuda {

void MaxPool2dForward(const cpu::Pool2dGeometry& geometry, const float* input, float* output,
                      int32_t* argmax);
void MaxPool2dBackward(const cpu::Pool2dGeometry& geometry, const float* output_grad,
                       const int32_t* argmax, float* input_grad);

void GlobalAvgPool2dForward(int64_t planes, int64_t hw, const float* input, float* output);
void GlobalAvgPool2dBackward(int64_t planes, int64_t hw, const float* output_grad,
                             float* input_grad);

}  // namespace nn::cuda

#endif  // NN_CUDA_POOL_H_
