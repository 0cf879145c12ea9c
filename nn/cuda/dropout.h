// CUDA kernels for dropout; same contracts as nn/cpu/dropout.h (the same counter-based mask
// bits for a seed), on device pointers. Called through the façade in nn/ops/dropout.h.
#ifndef NN_CUDA_DROPOUT_H_
#define NN_CUDA_DROPOUT_H_

#include <cstdint>

namespace nn::cuda {

void DropoutMask(uint64_t seed, float p, float* mask, int64_t n);
void DropoutApply(const float* x, const float* mask, float* y, int64_t n);
void DropoutBackward(const float* dy, const float* mask, float* dx, int64_t n);

}  // namespace nn::cuda

#endif  // NN_CUDA_DROPOUT_H_
