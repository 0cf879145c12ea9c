// BatchNorm2d layer.
#include "nn/layers/batch_norm2d.h"

#include "nn/ops/elementwise.h"

namespace nn {

BatchNorm2d::BatchNorm2d(int64_t channels, float eps, float momentum)
    : eps_(eps), momentum_(momentum) {
  // Built on the CPU (device() at construction); Module::To moves it.
  weight_ = RegisterParameter("weight", Tensor::Full({channels}, 1.0f));
  bias_ = RegisterParameter("bias", Tensor::Zeros({channels}));
  running_mean_ = RegisterBuffer("running_mean", Tensor::Zeros({channels}));
  running_var_ = RegisterBuffer("running_var", Tensor::Full({channels}, 1.0f));
  num_batches_tracked_ = RegisterBuffer("num_batches_tracked", Tensor::Zeros({}));
}

Tensor BatchNorm2d::Forward(const Tensor& input) {
  TrainingCall call(*this, "BatchNorm2d::Forward");
  Tensor output = Tensor::Empty(input.shape(), DType::kFloat32, device());
  BatchNormOptions options;
  options.training = is_training();
  options.momentum = momentum_;
  options.eps = eps_;
  BatchNormCache cache = BatchNorm2dForward(input, &weight_->value, &bias_->value, running_mean_,
                                            running_var_, options, &output);
  if (is_training()) {
    // num_batches_tracked += 1, on the module's device.
    const Tensor one = Tensor::Full({}, 1.0f).To(device());
    AddForward(*num_batches_tracked_, one, num_batches_tracked_);
    input_ = input;
    cache_ = std::move(cache);
  }
  return output;
}

Tensor BatchNorm2d::Backward(const Tensor& output_grad) {
  TrainingCall call(*this, "BatchNorm2d::Backward");
  NN_CHECK(input_.defined()) << "BatchNorm2d::Backward without a training-mode Forward";
  Tensor input_grad = Tensor::Zeros(input_.shape(), DType::kFloat32, device());
  BatchNorm2dBackward(output_grad, input_, &weight_->value, cache_, &input_grad, &weight_->grad,
                      &bias_->grad);
  input_ = Tensor();
  cache_ = BatchNormCache();
  return input_grad;
}

void BatchNorm2d::OnTrainingChanged() {
  input_ = Tensor();
  cache_ = BatchNormCache();
}

}  // namespace nn
