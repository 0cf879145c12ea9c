// 2-D convolution: argument checks (OpCheck) and device dispatch to the kernels in
// nn/cpu/conv.h or nn/cuda/conv.h (cuDNN).
#include "nn/ops/conv.h"

#include "nn/cpu/conv.h"
#include "nn/ops/internal/dispatch.h"
#include "nn/ops/internal/op_check.h"
#if NN_HAVE_CUDA
#include "nn/cuda/conv.h"
#endif

namespace nn {
namespace {

using ops_internal::Data;
using ops_internal::DataOrNull;
using ops_internal::Dispatch;
using ops_internal::MutableData;
using ops_internal::MutableDataOrNull;
using ops_internal::OpCheck;

std::ostream& operator<<(std::ostream& os, const Conv2dParams& p) {
  return os << "stride " << p.stride_h << "x" << p.stride_w << ", pad " << p.pad_h << "x" << p.pad_w
            << ", dilation " << p.dilation_h << "x" << p.dilation_w << ", groups " << p.groups;
}

cpu::Conv2dGeometry Geometry(const Shape& input, const Shape& weight, const Shape& output,
                             const Conv2dParams& p) {
  cpu::Conv2dGeometry g;
  g.batch = input[0];
  g.in_channels = input[1];
  g.in_h = input[2];
  g.in_w = input[3];
  g.out_channels = weight[0];
  g.out_h = output[2];
  g.out_w = output[3];
  g.kernel_h = weight[2];
  g.kernel_w = weight[3];
  g.stride_h = p.stride_h;
  g.stride_w = p.stride_w;
  g.pad_h = p.pad_h;
  g.pad_w = p.pad_w;
  g.dilation_h = p.dilation_h;
  g.dilation_w = p.dilation_w;
  g.groups = p.groups;
  return g;
}

}  // namespace

Shape Conv2dOutputShape(const Shape& input, const Shape& weight, const Conv2dParams& p) {
  NN_CHECK(input.rank() == 4 && weight.rank() == 4)
      << "Conv2d: input " << input << " must be [N, Cin, H, W] and weight " << weight
      << " [Cout, Cin/groups, KH, KW]";
  NN_CHECK(p.stride_h >= 1 && p.stride_w >= 1 && p.pad_h >= 0 && p.pad_w >= 0 &&
           p.dilation_h >= 1 && p.dilation_w >= 1 && p.groups >= 1)
      << "Conv2d: invalid parameters (" << p << ") for input " << input << ", weight " << weight;
  NN_CHECK(input[1] % p.groups == 0 && weight[0] % p.groups == 0 &&
           weight[1] * p.groups == input[1])
      << "Conv2d: input " << input << " and weight " << weight << " do not fit groups " << p.groups
      << " (need Cin = weight[1] * groups, Cout % groups == 0)";
  NN_CHECK(weight[0] >= 1 && weight[2] >= 1 && weight[3] >= 1 && input[0] >= 1)
      << "Conv2d: empty input " << input << " or weight " << weight;
  const int64_t extent_h = p.dilation_h * (weight[2] - 1) + 1;
  const int64_t extent_w = p.dilation_w * (weight[3] - 1) + 1;
  NN_CHECK(input[2] + 2 * p.pad_h >= extent_h && input[3] + 2 * p.pad_w >= extent_w)
      << "Conv2d: kernel " << weight << " (" << p << ") larger than padded input " << input;
  return Shape({input[0], weight[0], (input[2] + 2 * p.pad_h - extent_h) / p.stride_h + 1,
                (input[3] + 2 * p.pad_w - extent_w) / p.stride_w + 1});
}

void Conv2dForward(const Tensor& input, const Tensor& weight, const Tensor* bias,
                   const Conv2dParams& params, Tensor* output, const Conv2dEpilogue& epilogue) {
  OpCheck check("Conv2dForward");
  const Shape out_shape = Conv2dOutputShape(input.shape(), weight.shape(), params);
  const Shape channel_shape({weight.dim(0)});
  NN_CHECK(output != nullptr) << check.op() << ": null output for input " << input;
  check.Arg("input", input).Arg("weight", weight).Arg("output", *output, out_shape);
  check.Optional("bias", bias, channel_shape).Optional("scale", epilogue.scale, channel_shape);
  check.Optional("residual", epilogue.residual, out_shape);
  NN_CHECK(epilogue.residual == nullptr || !epilogue.residual->SharesStorageWith(*output))
      << check.op() << ": residual " << *epilogue.residual << " shares storage with output "
      << *output;
  NN_CHECK(!input.SharesStorageWith(*output))
      << check.op() << ": input " << input << " shares storage with output " << *output;
  Dispatch(check.op(), check.device(), &cpu::Conv2dForward, NN_CUDA_KERNEL(Conv2dForward),
           Geometry(input.shape(), weight.shape(), out_shape, params), Data(input), Data(weight),
           DataOrNull(epilogue.scale), DataOrNull(bias), DataOrNull(epilogue.residual),
           epilogue.relu, MutableData(output));
}

void Conv2dBackward(const Tensor& input, const Tensor& weight, const Tensor& output_grad,
                    const Conv2dParams& params, Tensor* input_grad, Tensor* weight_grad,
                    Tensor* bias_grad) {
  OpCheck check("Conv2dBackward");
  const Shape out_shape = Conv2dOutputShape(input.shape(), weight.shape(), params);
  check.Arg("input", input).Arg("weight", weight).Arg("output_grad", output_grad, out_shape);
  check.Optional("input_grad", input_grad, input.shape())
      .Optional("weight_grad", weight_grad, weight.shape())
      .Optional("bias_grad", bias_grad, Shape({weight.dim(0)}));
  Dispatch(check.op(), check.device(), &cpu::Conv2dBackward, NN_CUDA_KERNEL(Conv2dBackward),
           Geometry(input.shape(), weight.shape(), out_shape, params), Data(input), Data(weight),
           Data(output_grad), MutableDataOrNull(input_grad), MutableDataOrNull(weight_grad),
           MutableDataOrNull(bias_grad));
}

}  // namespace nn
