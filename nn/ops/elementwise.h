// Elementwise ops on tensors (contract: nn/ops/README.md).
#ifndef NN_OPS_ELEMENTWISE_H_
#define NN_OPS_ELEMENTWISE_H_

#include "nn/tensor.h"

namespace nn {

// Residual add: out = a + b, all of one shape and device. `out` may be `a` or `b`.
void AddForward(const Tensor& a, const Tensor& b, Tensor* out);
// d(a + b)/da = d(a + b)/db = I, so: da += dout, db += dout (either may be null).
void AddBackward(const Tensor& dout, Tensor* da, Tensor* db);

}  // namespace nn

#endif  // NN_OPS_ELEMENTWISE_H_
