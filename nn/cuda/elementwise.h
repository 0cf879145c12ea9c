// CUDA kernels for elementwise ops; same contracts as nn/cpu/elementwise.h, on device
// pointers. Called through the façade in nn/ops/elementwise.h.
#ifndef NN_CUDA_ELEMENTWISE_H_
#define NN_CUDA_ELEMENTWISE_H_

#include <cstdint>

namespace nn::cuda {

// out[i] = a[i] + b[i]. `out` may alias `a` or `b`.
void Add(const float* a, const float* b, float* out, int64_t n);
// dst[i] += src[i].
void Accumulate(const float* src, float* dst, int64_t n);

}  // namespace nn::cuda

#endif  // NN_CUDA_ELEMENTWISE_H_
