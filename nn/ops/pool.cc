// Pooling: argument checks (OpCheck) and device dispatch to the kernels in nn/cpu/pool.h or
// nn/cuda/pool.h. The max-pool argmax cache lives on the input's device.
#include "nn/ops/pool.h"

#include "nn/cpu/pool.h"
#include "nn/ops/internal/dispatch.h"
#include "nn/ops/internal/op_check.h"
#if NN_HAVE_CUDA
#include "nn/cuda/pool.h"
#include "nn/cuda/runtime.h"
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

cpu::Pool2dGeometry GeometryOf(const Shape& input, const Shape& output, const MaxPool2dParams& p) {
  cpu::Pool2dGeometry g;
  g.planes = input[0] * input[1];
  g.in_h = input[2];
  g.in_w = input[3];
  g.out_h = output[2];
  g.out_w = output[3];
  g.kernel_h = p.kernel_h;
  g.kernel_w = p.kernel_w;
  g.stride_h = p.stride_h;
  g.stride_w = p.stride_w;
  g.pad_h = p.pad_h;
  g.pad_w = p.pad_w;
  g.dilation_h = p.dilation_h;
  g.dilation_w = p.dilation_w;
  return g;
}

// Room for `count` argmax entries on `device`: the host vector, or GPU memory.
int32_t* ArgmaxStorage(Device device, int64_t count, MaxPool2dIndices* indices) {
  if (device.is_cpu()) {
    indices->argmax.resize(count);
    indices->device_argmax.reset();
    return indices->argmax.data();
  }
  indices->argmax.clear();
#if NN_HAVE_CUDA
  const int index = device.index;
  indices->device_argmax.reset(static_cast<int32_t*>(cuda::Malloc(sizeof(int32_t) * count, index)),
                               [index](int32_t* p) { cuda::Free(p, index); });
#endif
  return indices->device_argmax.get();
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
    indices->params = p;
    argmax = ArgmaxStorage(input.device(), out_shape.numel(), indices);
  }
  Dispatch(check.op(), check.device(), &cpu::MaxPool2dForward, NN_CUDA_KERNEL(MaxPool2dForward),
           GeometryOf(input.shape(), out_shape, p), Data(input), MutableData(output), argmax);
}

void MaxPool2dBackward(const Tensor& output_grad, const MaxPool2dIndices& indices,
                       Tensor* input_grad) {
  OpCheck check("MaxPool2dBackward");
  NN_CHECK(input_grad != nullptr) << check.op() << ": null input_grad";
  check.Arg("output_grad", output_grad).Arg("input_grad", *input_grad);
  const bool on_gpu = check.device().is_cuda();
  const int64_t stored = on_gpu
                             ? (indices.device_argmax != nullptr ? indices.output_shape.numel() : 0)
                             : static_cast<int64_t>(indices.argmax.size());
  NN_CHECK(output_grad.shape() == indices.output_shape &&
           input_grad->shape() == indices.input_shape && stored == output_grad.numel())
      << check.op() << ": output_grad " << output_grad << " and input_grad " << *input_grad
      << " must match the forward's output " << indices.output_shape << " and input "
      << indices.input_shape << " (" << stored << " indices on " << check.device() << ")";
  Dispatch(check.op(), check.device(), &cpu::MaxPool2dBackward, NN_CUDA_KERNEL(MaxPool2dBackward),
           GeometryOf(indices.input_shape, indices.output_shape, indices.params), Data(output_grad),
           on_gpu ? indices.device_argmax.get() : indices.argmax.data(), MutableData(input_grad));
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
