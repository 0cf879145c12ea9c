// CPU (Eigen) kernels for elementwise ops on raw float arrays. The reference backend and
// the fast CPU path; called through the façade in nn/ops/elementwise.h.
#ifndef NN_CPU_ELEMENTWISE_H_
#define NN_CPU_ELEMENTWISE_H_

#include <cstdint>

namespace nn::cpu {

// out[i] = a[i] + b[i]. `out` may alias `a` or `b`.
void Add(const float* a, const float* b, float* out, int64_t n);
// dst[i] += src[i].
void Accumulate(const float* src, float* dst, int64_t n);

}  // namespace nn::cpu

#endif  // NN_CPU_ELEMENTWISE_H_
