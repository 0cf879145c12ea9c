// BatchNorm2d layer.
#include "nn/layers/batch_norm2d.h"

namespace nn {

BatchNorm2d::BatchNorm2d(int64_t channels, float eps, float momentum)
    : eps_(eps), momentum_(momentum) {
  weight_ = RegisterParameter("weight", Tensor::Full({channels}, 1.0f));
  bias_ = RegisterParameter("bias", Tensor::Zeros({channels}));
  running_mean_ = RegisterBuffer("running_mean", Tensor::Zeros({channels}));
  running_var_ = RegisterBuffer("running_var", Tensor::Full({channels}, 1.0f));
  num_batches_tracked_ = RegisterBuffer("num_batches_tracked", Tensor::Zeros({}));
}

Tensor BatchNorm2d::Forward(const Tensor& input) {
  Tensor output = Tensor::Empty(input.shape());
  BatchNormOptions options;
  options.training = is_training();
  options.momentum = momentum_;
  options.eps = eps_;
  cache_ = BatchNorm2dForward(input, &weight_->value, &bias_->value, running_mean_, running_var_,
                              options, &output);
  if (is_training()) {
    num_batches_tracked_->data<float>()[0] += 1;
    input_ = input;
  } else {
    input_ = Tensor();
  }
  return output;
}

Tensor BatchNorm2d::Backward(const Tensor& output_grad) {
  NN_CHECK(input_.defined()) << "BatchNorm2d::Backward without a training-mode Forward";
  Tensor input_grad = Tensor::Zeros(input_.shape());
  BatchNorm2dBackward(output_grad, input_, &weight_->value, cache_, &input_grad, &weight_->grad,
                      &bias_->grad);
  input_ = Tensor();
  return input_grad;
}

}  // namespace nn
