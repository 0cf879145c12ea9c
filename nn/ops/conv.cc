// Shape checks and device dispatch for 2-D convolution.
#include "nn/ops/conv.h"

#include "nn/cpu/conv.h"

namespace nn {
namespace {

std::ostream& operator<<(std::ostream& os, const Conv2dParams& p) {
  return os << "stride " << p.stride_h << "x" << p.stride_w << ", pad " << p.pad_h << "x" << p.pad_w
            << ", dilation " << p.dilation_h << "x" << p.dilation_w << ", groups " << p.groups;
}

void CheckTensor(const char* op, const char* name, const Tensor& t, const Shape& expected,
                 const Tensor& input) {
  NN_CHECK(t.defined() && t.shape() == expected && t.dtype() == DType::kFloat32 &&
           t.device() == input.device())
      << op << ": " << name << " must be float32 " << expected << " on " << input.device()
      << ", got " << t;
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

void CheckCpu(const char* op, const Tensor& input) {
  NN_CHECK(input.device().is_cpu())
      << op << ": no kernel for " << input.device() << " yet (input " << input << ")";
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
  const Shape out_shape = Conv2dOutputShape(input.shape(), weight.shape(), params);
  NN_CHECK(output != nullptr) << "Conv2dForward: null output for input " << input;
  CheckTensor("Conv2dForward", "input", input, input.shape(), input);
  CheckTensor("Conv2dForward", "weight", weight, weight.shape(), input);
  CheckTensor("Conv2dForward", "output", *output, out_shape, input);
  if (bias != nullptr) CheckTensor("Conv2dForward", "bias", *bias, Shape({weight.dim(0)}), input);
  if (epilogue.scale != nullptr) {
    CheckTensor("Conv2dForward", "scale", *epilogue.scale, Shape({weight.dim(0)}), input);
  }
  if (epilogue.residual != nullptr) {
    CheckTensor("Conv2dForward", "residual", *epilogue.residual, out_shape, input);
    NN_CHECK(!epilogue.residual->SharesStorageWith(*output))
        << "Conv2dForward: residual " << *epilogue.residual << " shares storage with output "
        << *output;
  }
  NN_CHECK(!input.SharesStorageWith(*output))
      << "Conv2dForward: input " << input << " shares storage with output " << *output;
  CheckCpu("Conv2dForward", input);
  cpu::Conv2dForward(Geometry(input.shape(), weight.shape(), out_shape, params),
                     input.data<float>(), weight.data<float>(),
                     epilogue.scale != nullptr ? epilogue.scale->data<float>() : nullptr,
                     bias != nullptr ? bias->data<float>() : nullptr,
                     epilogue.residual != nullptr ? epilogue.residual->data<float>() : nullptr,
                     epilogue.relu, output->data<float>());
}

void Conv2dBackward(const Tensor& input, const Tensor& weight, const Tensor& output_grad,
                    const Conv2dParams& params, Tensor* input_grad, Tensor* weight_grad,
                    Tensor* bias_grad) {
  const Shape out_shape = Conv2dOutputShape(input.shape(), weight.shape(), params);
  CheckTensor("Conv2dBackward", "input", input, input.shape(), input);
  CheckTensor("Conv2dBackward", "weight", weight, weight.shape(), input);
  CheckTensor("Conv2dBackward", "output_grad", output_grad, out_shape, input);
  if (input_grad != nullptr) {
    CheckTensor("Conv2dBackward", "input_grad", *input_grad, input.shape(), input);
  }
  if (weight_grad != nullptr) {
    CheckTensor("Conv2dBackward", "weight_grad", *weight_grad, weight.shape(), input);
  }
  if (bias_grad != nullptr) {
    CheckTensor("Conv2dBackward", "bias_grad", *bias_grad, Shape({weight.dim(0)}), input);
  }
  CheckCpu("Conv2dBackward", input);
  cpu::Conv2dBackward(Geometry(input.shape(), weight.shape(), out_shape, params),
                      input.data<float>(), weight.data<float>(), output_grad.data<float>(),
                      input_grad != nullptr ? input_grad->data<float>() : nullptr,
                      weight_grad != nullptr ? weight_grad->data<float>() : nullptr,
                      bias_grad != nullptr ? bias_grad->data<float>() : nullptr);
}

}  // namespace nn
