// Pooling: argument checks (OpCheck) and device dispatch to the kernels in nn/cpu/pool.h or
// nn/cuda/pool.h (global average pooling only). The max-pool argmax cache is host memory
// (std::vector), so max pooling has no CUDA kernel yet.
#include "nn/ops/pool.h"

#include "nn/cpu/pool.h"
#include "nn/ops/internal/dispatch.h"
#include "nn/ops/internal/op_check.h"
#if NN_HAVE_CUDA
#include "nn/cuda/pool.h"
#endif

namespace nn {
namespace {

using ops_internal::Data;
using ops_internal::Dispatch;
using ops_internal::MutableData;
using ops_internal::OpCheck;

MaxPool2dParams Resolved(MaxPool2dParams p) {
  if (p.stride_h == 0) p.stride_h = p.kernel_h;
  if (p.stride_w == 0) p.stride_w = p.kernel_w;
  return p;
}

std::ostream& operator<<(std::ostream& os, const MaxPool2dParams& p) {
  return os << "kernel " << p.kernel_h << "x" << p.kernel_w << ", stride " << p.stride_h << "x"
            << p.stride_w << ", pad " << p.pad_h << "x" << p.pad_w << ", dilation " << p.dilation_h
            << "x" << p.dilation_w;
}

}  // namespace

Shape MaxPool2dOutputShape(const Shape& input, const MaxPool2dParams& params) {
  const MaxPool2dParams p = Resolved(params);
  NN_CHECK(input.rank() == 4) << "MaxPool2d: input " << input << " must be [N, C, H, W]";
  NN_CHECK(p.kernel_h >= 1 && p.kernel_w >= 1 && p.stride_h >= 1 && p.stride_w >= 1 &&
           p.dilation_h >= 1 && p.dilation_w >= 1 && p.pad_h >= 0 && p.pad_w >= 0 &&
           2 * p.pad_h <= p.kernel_h && 2 * p.pad_w <= p.kernel_w)
      << "MaxPool2d: invalid parameters (" << p << ") for input " << input
      << " (padding must be at most half the kernel)";
  const int64_t out_h =
      (input[2] + 2 * p.pad_h - p.dilation_h * (p.kernel_h - 1) - 1) / p.stride_h + 1;
  const int64_t out_w =
      (input[3] + 2 * p.pad_w - p.dilation_w * (p.kernel_w - 1) - 1) / p.stride_w + 1;
  NN_CHECK(out_h >= 1 && out_w >= 1 && input[0] >= 1 && input[1] >= 1)
      << "MaxPool2d: input " << input << " too small for " << p;
  return Shape({input[0], input[1], out_h, out_w});
}

void MaxPool2dForward(const Tensor& input, const MaxPool2dParams& params, Tensor* output,
                      MaxPool2dIndices* indices) {
  OpCheck check("MaxPool2dForward");
  const MaxPool2dParams p = Resolved(params);
  const Shape out_shape = MaxPool2dOutputShape(input.shape(), p);
  NN_CHECK(output != nullptr) << check.op() << ": null output for input " << input;
  check.Arg("input", input).Arg("output", *output);
  NN_CHECK(output->shape() == out_shape) << check.op() << ": output " << *output << " must be "
                                         << out_shape << " for input " << input << " (" << p << ")";
  NN_CHECK(input.dim(2) * input.dim(3) <= INT32_MAX)
      << check.op() << ": plane of " << input << " too large for int32 indices";
  int32_t* argmax = nullptr;
  if (indices != nullptr) {
    indices->input_shape = input.shape();
    indices->output_shape = out_shape;
    indices->argmax.resize(out_shape.numel());
    argmax = indices->argmax.data();
  }
  cpu::Pool2dGeometry g;
  g.planes = input.dim(0) * input.dim(1);
  g.in_h = input.dim(2);
  g.in_w = input.dim(3);
  g.out_h = out_shape[2];
  g.out_w = out_shape[3];
  g.kernel_h = p.kernel_h;
  g.kernel_w = p.kernel_w;
  g.stride_h = p.stride_h;
  g.stride_w = p.stride_w;
  g.pad_h = p.pad_h;
  g.pad_w = p.pad_w;
  g.dilation_h = p.dilation_h;
  g.dilation_w = p.dilation_w;
  Dispatch(check.op(), check.device(), &cpu::MaxPool2dForward, nullptr, g, Data(input),
           MutableData(output), argmax);
}

void MaxPool2dBackward(const Tensor& output_grad, const MaxPool2dIndices& indices,
                       Tensor* input_grad) {
  OpCheck check("MaxPool2dBackward");
  NN_CHECK(input_grad != nullptr) << check.op() << ": null input_grad";
  check.Arg("output_grad", output_grad).Arg("input_grad", *input_grad);
  NN_CHECK(output_grad.shape() == indices.output_shape &&
           input_grad->shape() == indices.input_shape &&
           static_cast<int64_t>(indices.argmax.size()) == output_grad.numel())
      << check.op() << ": output_grad " << output_grad << " and input_grad " << *input_grad
      << " must match the forward's output " << indices.output_shape << " and input "
      << indices.input_shape << " (" << indices.argmax.size() << " indices)";
  cpu::Pool2dGeometry g;
  g.planes = input_grad->dim(0) * input_grad->dim(1);
  g.in_h = input_grad->dim(2);
  g.in_w = input_grad->dim(3);
  g.out_h = output_grad.dim(2);
  g.out_w = output_grad.dim(3);
  Dispatch(check.op(), check.device(), &cpu::MaxPool2dBackward, nullptr, g, Data(output_grad),
           indices.argmax.data(), MutableData(input_grad));
}

void GlobalAvgPool2dForward(const Tensor& input, Tensor* output) {
  OpCheck check("GlobalAvgPool2dForward");
  NN_CHECK(output != nullptr) << check.op() << ": null output for input " << input;
  check.Arg("input", input).Arg("output", *output);
  NN_CHECK(input.rank() == 4 && input.dim(2) * input.dim(3) >= 1 &&
           output->shape() == Shape({input.dim(0), input.dim(1), 1, 1}))
      << check.op() << ": input " << input << " must be [N, C, H, W] and output " << *output
      << " [N, C, 1, 1]";
  Dispatch(check.op(), check.device(), &cpu::GlobalAvgPool2dForward,
           NN_CUDA_KERNEL(GlobalAvgPool2dForward), input.dim(0) * input.dim(1),
           input.dim(2) * input.dim(3), Data(input), MutableData(output));
}

void GlobalAvgPool2dBackward(const Tensor& output_grad, Tensor* input_grad) {
  OpCheck check("GlobalAvgPool2dBackward");
  NN_CHECK(input_grad != nullptr) << check.op() << ": null input_grad";
  check.Arg("output_grad", output_grad).Arg("input_grad", *input_grad);
  NN_CHECK(input_grad->rank() == 4 && input_grad->dim(2) * input_grad->dim(3) >= 1 &&
           output_grad.shape() == Shape({input_grad->dim(0), input_grad->dim(1), 1, 1}))
      << check.op() << ": output_grad " << output_grad << " must be [N, C, 1, 1] of "
      << "input_grad " << *input_grad;
  Dispatch(check.op(), check.device(), &cpu::GlobalAvgPool2dBackward,
           NN_CUDA_KERNEL(GlobalAvgPool2dBackward), input_grad->dim(0) * input_grad->dim(1),
           input_grad->dim(2) * input_grad->dim(3), Data(output_grad), MutableData(input_grad));
}

}  // namespace nn
