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
  Tensor output = Tensor::Empty(LinearOutputShape(input.shape(), weight_->value.shape()));
  LinearForward(input, weight_->value, bias_ ? &bias_->value : nullptr, &output);
  input_ = is_training() ? input : Tensor();
  return output;
}

Tensor Linear::Backward(const Tensor& output_grad) {
  NN_CHECK(input_.defined()) << "Linear::Backward without a training-mode Forward";
  Tensor input_grad = Tensor::Zeros(input_.shape());
  LinearBackward(output_grad, input_, weight_->value, &input_grad, &weight_->grad,
                 bias_ ? &bias_->grad : nullptr);
  input_ = Tensor();
  return input_grad;
}

}  // namespace nn
