// Fully connected layer y = x W^T + b in PyTorch's layout (W [out, in]), forward and
// backward (contract: nn/ops/README.md).
#ifndef NN_OPS_LINEAR_H_
#define NN_OPS_LINEAR_H_

#include "nn/tensor.h"

namespace nn {

// The output shape for input [..., in] and weight [out, in]: [..., out].
Shape LinearOutputShape(const Shape& x, const Shape& weight);

// x [N, in] (leading dimensions beyond one are flattened into N, as torch.nn.Linear),
// weight [out, in], bias [out] or null, y = LinearOutputShape(x, weight):
//   y = x W^T + b
void LinearForward(const Tensor& x, const Tensor& weight, const Tensor* bias, Tensor* y);

// Accumulates (each may be null):
//   dx += dy W          [N, in]
//   dW += dy^T x        [out, in]
//   db += sum_n dy      [out]
void LinearBackward(const Tensor& dy, const Tensor& x, const Tensor& weight, Tensor* dx,
                    Tensor* dweight, Tensor* dbias);

}  // namespace nn

#endif  // NN_OPS_LINEAR_H_
