// 2-D pooling (NCHW, float32): max pooling (with the argmax cache its backward needs) and
// global average pooling, AdaptiveAvgPool2d(1) (contract: nn/ops/README.md).
#ifndef NN_OPS_POOL_H_
#define NN_OPS_POOL_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "nn/tensor.h"

namespace nn {

struct MaxPool2dParams {
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 0, stride_w = 0;  // 0: the kernel size, as PyTorch's default
  int pad_h = 0, pad_w = 0;        // implicit -inf padding, at most half the kernel
  int dilation_h = 1, dilation_w = 1;
};

// [N, C, OH, OW] with OH = (H + 2*pad_h - dilation_h*(kernel_h-1) - 1) / stride_h + 1 (floor,
// PyTorch's ceil_mode=False); likewise OW. NN_CHECK-fails on invalid shapes or parameters.
Shape MaxPool2dOutputShape(const Shape& input, const MaxPool2dParams& params);

// What MaxPool2dBackward needs from the forward: per output element, the flat index
// ih * W + iw of its maximum inside its (n, c) plane. The caller keeps it between calls.
struct MaxPool2dIndices {
  Shape input_shape;
  Shape output_shape;
  MaxPool2dParams params;       // resolved (strides set)
  std::vector<int32_t> argmax;  // CPU tensors: output_shape.numel() entries
  // CUDA tensors: the same entries in the GPU's memory (freed with the last copy).
  std::shared_ptr<int32_t> device_argmax;
};

// output[n, c, oh, ow] = max over the window of input (the first maximum wins ties; NaN
// propagates). Fills `indices` unless it is null (inference).
void MaxPool2dForward(const Tensor& input, const MaxPool2dParams& params, Tensor* output,
                      MaxPool2dIndices* indices);
// dX[n, c, argmax[n, c, o]] += dY[n, c, o]: each output's gradient goes to its maximum.
void MaxPool2dBackward(const Tensor& output_grad, const MaxPool2dIndices& indices,
                       Tensor* input_grad);

// Global average pooling, [N, C, H, W] -> [N, C, 1, 1]: y[n, c] = (1/HW) sum_{h,w} x[n, c, h, w].
void GlobalAvgPool2dForward(const Tensor& input, Tensor* output);
// dX[n, c, h, w] += dY[n, c] / (H*W).
void GlobalAvgPool2dBackward(const Tensor& output_grad, Tensor* input_grad);

}  // namespace nn

#endif  // NN_OPS_POOL_H_
