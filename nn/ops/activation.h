// Activations: ReLU, sigmoid, and softmax / log-softmax over the last axis, forward and
// backward, PyTorch semantics (contract: nn/ops/README.md). Every forward may run in place
// (`y` may be `&x`); the backward passes read the forward's output, so they work after an
// in-place forward too.
#ifndef NN_OPS_ACTIVATION_H_
#define NN_OPS_ACTIVATION_H_

#include "nn/tensor.h"

namespace nn {

// y = max(x, 0); x, y of one shape.
void ReluForward(const Tensor& x, Tensor* y);
// dx += dy * [mask > 0], where `mask` is the forward's output y (or its input x: same
// sign). The derivative at 0 is taken as 0, as PyTorch.
void ReluBackward(const Tensor& dy, const Tensor& mask, Tensor* dx);
// The same gradient written over the output gradient itself, grad = grad * [mask > 0]: for
// the backward of an in-place ReLU, whose caller owns `grad` and needs no separate dx (an
// exception to the accumulate convention, saving a zero-fill and a pass over memory).
void ReluBackwardInPlace(const Tensor& mask, Tensor* grad);

// y = 1 / (1 + exp(-x)), computed without overflow; x, y of one shape.
void SigmoidForward(const Tensor& x, Tensor* y);
// dx += dy * y * (1 - y), y the forward's output.
void SigmoidBackward(const Tensor& dy, const Tensor& y, Tensor* dx);

// Over the last axis of x [N, C] (any leading dimensions are rows too); y of x's shape.
//   softmax:     y_ij = exp(x_ij - m_i) / sum_k exp(x_ik - m_i),  m_i = max_k x_ik
//   log-softmax: y_ij = x_ij - m_i - log sum_k exp(x_ik - m_i)
void SoftmaxForward(const Tensor& x, Tensor* y);
// dx_ij += y_ij * (dy_ij - sum_k dy_ik y_ik), y the forward's output.
void SoftmaxBackward(const Tensor& dy, const Tensor& y, Tensor* dx);

void LogSoftmaxForward(const Tensor& x, Tensor* y);
// dx_ij += dy_ij - exp(y_ij) * sum_k dy_ik, y the forward's output (exp(y) = softmax).
void LogSoftmaxBackward(const Tensor& dy, const Tensor& y, Tensor* dx);

}  // namespace nn

#endif  // NN_OPS_ACTIVATION_H_
