// 2-D convolution (NCHW, float32): forward with an inference epilogue (bias, residual,
// ReLU) and backward, for any stride, padding, dilation and groups (contract:
// nn/ops/README.md).
#ifndef NN_OPS_CONV_H_
#define NN_OPS_CONV_H_

#include "nn/tensor.h"

namespace nn {

struct Conv2dParams {
  int stride_h = 1, stride_w = 1;
  int pad_h = 0, pad_w = 0;  // zero padding on both sides
  int dilation_h = 1, dilation_w = 1;
  int groups = 1;
};

// [N, Cout, OH, OW] for input [N, Cin, H, W] and weight [Cout, Cin/groups, KH, KW], with
// OH = (H + 2*pad_h - dilation_h*(KH-1) - 1) / stride_h + 1 (likewise OW), as in PyTorch.
// NN_CHECK-fails, printing the shapes and parameters, on any inconsistency.
Shape Conv2dOutputShape(const Shape& input, const Shape& weight, const Conv2dParams& params);

// Fused inference epilogue: output = relu?(conv * scale + bias + residual). A batch norm
// after the convolution folds into it as scale = gamma / sqrt(running_var + eps) and
// bias = beta - running_mean * scale, with no copy of the weights.
struct Conv2dEpilogue {
  const Tensor* scale = nullptr;     // [Cout] per output channel, applied before bias
  const Tensor* residual = nullptr;  // [N, Cout, OH, OW], not sharing storage with output
  bool relu = false;
};

// output[n, co, oh, ow] = bias[co] + sum_{ci in group(co), kh, kw} weight[co, ci, kh, kw] *
//     input[n, ci, oh*stride_h - pad_h + kh*dilation_h, ow*stride_w - pad_w + kw*dilation_w]
// then the epilogue. `bias` [Cout] may be null; `output` is preallocated with
// Conv2dOutputShape. All tensors float32 on one device (CPU kernels).
void Conv2dForward(const Tensor& input, const Tensor& weight, const Tensor* bias,
                   const Conv2dParams& params, Tensor* output, const Conv2dEpilogue& epilogue = {});

// Backward of the plain convolution (no epilogue: pass dY through ReLU/residual backward
// first). With col_g = im2col(input) of group g ([Cin/groups*KH*KW, N*OH*OW]):
//   dX      += col2im(W_g^T * dY_g)
//   dW_g    += dY_g * col_g^T
//   dbias[c] += sum_{n, oh, ow} dY[n, c, oh, ow]
// Accumulates (+=) into each non-null gradient, shaped like input, weight and [Cout].
void Conv2dBackward(const Tensor& input, const Tensor& weight, const Tensor& output_grad,
                    const Conv2dParams& params, Tensor* input_grad, Tensor* weight_grad,
                    Tensor* bias_grad);

}  // namespace nn

#endif  // NN_OPS_CONV_H_
