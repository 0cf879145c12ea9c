// Pooling layers.
#include "nn/layers/pooling.h"

namespace nn {

Tensor MaxPool2d::Forward(const Tensor& input) {
  TrainingCall call(*this, "MaxPool2d::Forward");
  Tensor output =
      Tensor::Empty(MaxPool2dOutputShape(input.shape(), params_), DType::kFloat32, device());
  MaxPool2dForward(input, params_, &output, is_training() ? &indices_ : nullptr);
  if (is_training()) has_indices_ = true;
  return output;
}

Tensor MaxPool2d::Backward(const Tensor& output_grad) {
  TrainingCall call(*this, "MaxPool2d::Backward");
  NN_CHECK(has_indices_) << "MaxPool2d::Backward without a training-mode Forward";
  Tensor input_grad = Tensor::Zeros(indices_.input_shape, DType::kFloat32, device());
  MaxPool2dBackward(output_grad, indices_, &input_grad);
  has_indices_ = false;
  return input_grad;
}

void MaxPool2d::OnTrainingChanged() {
  indices_ = MaxPool2dIndices();
  has_indices_ = false;
}

Tensor GlobalAvgPool2d::Forward(const Tensor& input) {
  TrainingCall call(*this, "GlobalAvgPool2d::Forward");
  NN_CHECK_EQ(input.rank(), 4) << "GlobalAvgPool2d input " << input.shape();
  Tensor output = Tensor::Empty({input.dim(0), input.dim(1), 1, 1}, DType::kFloat32, device());
  GlobalAvgPool2dForward(input, &output);
  if (is_training()) input_shape_ = input.shape();
  return output;
}

Tensor GlobalAvgPool2d::Backward(const Tensor& output_grad) {
  TrainingCall call(*this, "GlobalAvgPool2d::Backward");
  NN_CHECK_EQ(input_shape_.rank(), 4) << "GlobalAvgPool2d::Backward before a training-mode Forward";
  Tensor input_grad = Tensor::Zeros(input_shape_, DType::kFloat32, device());
  GlobalAvgPool2dBackward(output_grad, &input_grad);
  return input_grad;
}

}  // namespace nn
