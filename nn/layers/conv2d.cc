// Conv2d layer.
#include "nn/layers/conv2d.h"

#include <cmath>

#include "nn/layers/init.h"

namespace nn {

Conv2d::Conv2d(const Conv2dOptions& options) : options_(options) {
  const int groups = options.params.groups;
  NN_CHECK(groups >= 1 && options.in_channels % groups == 0 && options.out_channels % groups == 0)
      << "Conv2d: channels " << options.in_channels << " -> " << options.out_channels
      << " not divisible by groups " << groups;
  const int64_t fan_in = options.in_channels / groups * options.kernel_h * options.kernel_w;
  weight_ = RegisterParameter("weight",
                              KaimingUniform({options.out_channels, options.in_channels / groups,
                                              options.kernel_h, options.kernel_w},
                                             fan_in));
  if (options.bias) bias_ = RegisterParameter("bias", BiasUniform({options.out_channels}, fan_in));
}

Tensor Conv2d::Forward(const Tensor& input) {
  TrainingCall call(*this, "Conv2d::Forward");
  Tensor output =
      Tensor::Empty(Conv2dOutputShape(input.shape(), weight_->value.shape(), options_.params),
                    DType::kFloat32, device());
  Conv2dForward(input, weight_->value, bias_ ? &bias_->value : nullptr, options_.params, &output);
  if (is_training()) input_ = input;
  return output;
}

Tensor Conv2d::Backward(const Tensor& output_grad) {
  TrainingCall call(*this, "Conv2d::Backward");
  NN_CHECK(input_.defined()) << "Conv2d::Backward without a training-mode Forward";
  Tensor input_grad =
      needs_input_grad_ ? Tensor::Zeros(input_.shape(), DType::kFloat32, device()) : Tensor();
  Conv2dBackward(input_, weight_->value, output_grad, options_.params,
                 needs_input_grad_ ? &input_grad : nullptr, &weight_->grad,
                 bias_ ? &bias_->grad : nullptr);
  input_ = Tensor();
  return input_grad;
}

}  // namespace nn
