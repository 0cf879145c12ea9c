// CUDA kernels for pooling; same contracts as nn/cpu/pool.h, on device pointers. Global
// average pooling only: max pooling keeps its argmax in host memory (nn/ops/pool.cc) and
// has no CUDA kernel yet.
#ifndef NN_CUDA_POOL_H_
#define NN_CUDA_POOL_H_

#include <cstdint>

namespace nn::cuda {

void GlobalAvgPool2dForward(int64_t planes, int64_t hw, const float* input, float* output);
void GlobalAvgPool2dBackward(int64_t planes, int64_t hw, const float* output_grad,
                             float* input_grad);

}  // namespace nn::cuda

#endif  // NN_CUDA_POOL_H_
