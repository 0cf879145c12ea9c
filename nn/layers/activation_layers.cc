// ReLU and Dropout layers.
#include "nn/layers/activation_layers.h"

#include "nn/ops/activation.h"
#include "nn/ops/dropout.h"

namespace nn {

Tensor ReLU::Forward(const Tensor& input) {
  TrainingCall call(*this, "ReLU::Forward");
  Tensor output = inplace_ ? input : Tensor::Empty(input.shape(), DType::kFloat32, device());
  ReluForward(input, &output);
  if (is_training()) output_ = output;
  return output;
}

Tensor ReLU::Backward(const Tensor& output_grad) {
  TrainingCall call(*this, "ReLU::Backward");
  NN_CHECK(output_.defined()) << "ReLU::Backward without a training-mode Forward";
  Tensor input_grad;
  if (inplace_) {
    input_grad = output_grad;  // shares storage: the gradient is masked where it lies
    ReluBackwardInPlace(output_, &input_grad);
  } else {
    input_grad = Tensor::Zeros(output_grad.shape(), DType::kFloat32, device());
    ReluBackward(output_grad, output_, &input_grad);
  }
  output_ = Tensor();
  return input_grad;
}

Tensor Dropout::Forward(const Tensor& input) {
  if (!is_training()) return input;
  TrainingCall call(*this, "Dropout::Forward");
  if (p_ == 0.0f) {
    mask_ = Tensor();
    return input;
  }
  Tensor output = Tensor::Empty(input.shape(), DType::kFloat32, device());
  mask_ = Tensor::Empty(input.shape(), DType::kFloat32, device());
  // splitmix-style spacing keeps successive calls' seeds far apart.
  const uint64_t seed = seed_ * 0x9E3779B97F4A7C15ull + (++calls_);
  DropoutForward(input, p_, /*training=*/true, seed, &output, &mask_);
  return output;
}

Tensor Dropout::Backward(const Tensor& output_grad) {
  TrainingCall call(*this, "Dropout::Backward");
  if (!mask_.defined()) return output_grad;  // identity forward
  Tensor input_grad = Tensor::Zeros(output_grad.shape(), DType::kFloat32, device());
  DropoutBackward(output_grad, mask_, &input_grad);
  mask_ = Tensor();
  return input_grad;
}

}  // namespace nn
