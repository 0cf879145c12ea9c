// Linear layer.
#include "nn/layers/linear.h"

#include "nn/layers/init.h"
#include "nn/ops/linear.h"

namespace nn {

Linear::Linear(int64_t in_features, int64_t out_features, bool bias) {
  weight_ = RegisterParameter("weight", KaimingUniform({out_features, in_features}, in_features));
  if (bias) bias_ = RegisterParameter("bias", BiasUniform({out_features}, in_features));
}

Tensor Linear::Forward(const Tensor& input) {
  TrainingCall call(*this, "Linear::Forward");
  Tensor output = Tensor::Empty(LinearOutputShape(input.shape(), weight_->value.shape()),
                                DType::kFloat32, device());
  LinearForward(input, weight_->value, bias_ ? &bias_->value : nullptr, &output);
  if (is_training()) input_ = input;
  return output;
}

Tensor Linear::Backward(const Tensor& output_grad) {
  TrainingCall call(*this, "Linear::Backward");
  NN_CHECK(input_.defined()) << "Linear::Backward without a training-mode Forward";
  Tensor input_grad = Tensor::Zeros(input_.shape(), DType::kFloat32, device());
  LinearBackward(output_grad, input_, weight_->value, &input_grad, &weight_->grad,
                 bias_ ? &bias_->grad : nullptr);
  input_ = Tensor();
  return input_grad;
}

Tensor Linear::InputGradient(const Tensor& output_grad) const {
  NN_CHECK(output_grad.rank() == 2 && output_grad.dim(1) == weight_->value.dim(0))
      << "Linear::InputGradient gradient " << output_grad.shape() << ", expected [N, "
      << weight_->value.dim(0) << "]";
  const Shape input_shape{output_grad.dim(0), weight_->value.dim(1)};
  Tensor input_grad = Tensor::Zeros(input_shape, DType::kFloat32, device());
  // The op reads the input only for the weight gradient (not requested): any [N, in] does.
  const Tensor unused_input = Tensor::Empty(input_shape, DType::kFloat32, device());
  LinearBackward(output_grad, unused_input, weight_->value, &input_grad, nullptr, nullptr);
  return input_grad;
}

}  // namespace nn
