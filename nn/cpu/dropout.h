// CPU kernels for dropout on raw float arrays: a counter-based random mask (element i's
// draw depends only on the seed and i, so masks are reproducible for any thread count) and
// the masked products; called through the façade in nn/ops/dropout.h.
#ifndef NN_CPU_DROPOUT_H_
#define NN_CPU_DROPOUT_H_

#include <cstdint>

namespace nn::cpu {

// mask[i] = 1 / (1 - p) with probability 1 - p, else 0 (all 0 when p == 1); the draw of
// element i is a function of (seed, i) alone.
void DropoutMask(uint64_t seed, float p, float* mask, int64_t n);
// y[i] = x[i] * mask[i]; y may alias x.
void DropoutApply(const float* x, const float* mask, float* y, int64_t n);
// dx[i] += dy[i] * mask[i].
void DropoutBackward(const float* dy, const float* mask, float* dx, int64_t n);

}  // namespace nn::cpu

#endif  // NN_CPU_DROPOUT_H_
