// Dropout with inverted scaling (torch.nn.Dropout semantics) and a seeded, reproducible
// mask that the backward pass reuses (contract: nn/ops/README.md).
#ifndef NN_OPS_DROPOUT_H_
#define NN_OPS_DROPOUT_H_

#include <cstdint>

#include "nn/tensor.h"

namespace nn {

// x, y, mask of one shape; 0 <= p <= 1. y may be &x (in place).
// Training: mask_i = keep_i / (1 - p) with keep_i ~ Bernoulli(1 - p), drawn from `seed`
// (the same seed and shape give the same mask, on any thread count; p == 1 drops all),
// y = x * mask. `mask` is required: backward needs it.
// Eval: y = x; `mask`, if given, is set to 1 so the same backward applies.
void DropoutForward(const Tensor& x, float p, bool training, uint64_t seed, Tensor* y,
                    Tensor* mask);

// y = x * mask: dx += dy * mask.
void DropoutBackward(const Tensor& dy, const Tensor& mask, Tensor* dx);

}  // namespace nn

#endif  // NN_OPS_DROPOUT_H_
