// Pooling layers.
#include "nn/layers/pooling.h"

namespace nn {

Tensor MaxPool2d::Forward(const Tensor& input) {
  Tensor output = Tensor::Empty(MaxPool2dOutputShape(input.shape(), params_));
  has_indices_ = is_training();
  MaxPool2dForward(input, params_, &output, is_training() ? &indices_ : nullptr);
  return output;
}

Tensor MaxPool2d::Backward(const Tensor& output_grad) {
  NN_CHECK(has_indices_) << "MaxPool2d::Backward without a training-mode Forward";
  Tensor input_grad = Tensor::Zeros(indices_.input_shape);
  MaxPool2dBackward(output_grad, indices_, &input_grad);
  has_indices_ = false;
  return input_grad;
}

Tensor GlobalAvgPool2d::Forward(const Tensor& input) {
  NN_CHECK_EQ(input.rank(), 4) << "GlobalAvgPool2d input " << input.shape();
  Tensor output = Tensor::Empty({input.dim(0), input.dim(1), 1, 1});
  GlobalAvgPool2dForward(input, &output);
  input_shape_ = input.shape();
  return output;
}

Tensor GlobalAvgPool2d::Backward(const Tensor& output_grad) {
  NN_CHECK_EQ(input_shape_.rank(), 4) << "GlobalAvgPool2d::Backward before Forward";
  Tensor input_grad = Tensor::Zeros(input_shape_);
  GlobalAvgPool2dBackward(output_grad, &input_grad);
  return input_grad;
}

}  // namespace nn
