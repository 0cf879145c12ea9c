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

}  // namespace nn
