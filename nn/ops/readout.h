// Readouts: reducing a sequence of per-step tensors to one per sequence, along one axis
// (contract: nn/ops/README.md). The detector's video logits are the mean of its frame
// logits (MeanOverAxis, axis 1 of [B, T, K]) or one step of the LSTM output
// (SelectIndex, e.g. x_lstm[:, -1, :] = axis 1, index -1 of [B, T, W]).
//
// Both ops view x as [outer, L, inner] around `axis` (L = x.dim(axis)); the output y has x's
// shape without `axis` (ReadoutOutputShape), on x's device. Negative axes and indices count
// from the end, as in PyTorch.
//
//   forward                                     backward (accumulates, +=)
//   MeanOverAxis:  y[o, i] = 1/L sum_t x[o,t,i]  dx[o, t, i] += dy[o, i] / L   for every t
//   SelectIndex:   y[o, i] = x[o, index, i]      dx[o, index, i] += dy[o, i]  (others: +0)
//
// MeanOverAxis divides every term by L before summing in float32, in order t = 0 .. L-1
// (the detector's original rounding, kept so that no number changes).
#ifndef NN_OPS_READOUT_H_
#define NN_OPS_READOUT_H_

#include "nn/tensor.h"

namespace nn {

// x's shape without `axis` (rank >= 1, -rank <= axis < rank).
Shape ReadoutOutputShape(const Shape& input, int axis);

// y = mean of x over `axis` (x.dim(axis) >= 1); y preallocated with ReadoutOutputShape.
void MeanOverAxisForward(const Tensor& x, int axis, Tensor* y);
// dx (x's shape) += dy / L broadcast along `axis`.
void MeanOverAxisBackward(const Tensor& dy, int axis, Tensor* dx);

// y = x[..., index, ...] along `axis` (-L <= index < L); y preallocated with
// ReadoutOutputShape.
void SelectIndexForward(const Tensor& x, int axis, int64_t index, Tensor* y);
// dx (x's shape): the slice at `index` along `axis` += dy; the rest is unchanged (its
// gradient is zero). A zeroed dx therefore receives dy scattered into zeros.
void SelectIndexBackward(const Tensor& dy, int axis, int64_t index, Tensor* dx);

}  // namespace nn

#endif  // NN_OPS_READOUT_H_
