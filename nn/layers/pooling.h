// Pooling layers: torch.nn.MaxPool2d and AdaptiveAvgPool2d(1) (global average pooling).
// What Backward needs (argmax indices, the input shape) is kept in training mode only.
#ifndef NN_LAYERS_POOLING_H_
#define NN_LAYERS_POOLING_H_

#include "nn/module.h"
#include "nn/ops/pool.h"

namespace nn {

class MaxPool2d : public Layer {
 public:
  explicit MaxPool2d(const MaxPool2dParams& params) : params_(params) {}
  Tensor Forward(const Tensor& input) override;
  Tensor Backward(const Tensor& output_grad) override;

 protected:
  void OnTrainingChanged() override;

 private:
  MaxPool2dParams params_;
  MaxPool2dIndices indices_;  // training only
  bool has_indices_ = false;
};

// [N, C, H, W] -> [N, C, 1, 1].
class GlobalAvgPool2d : public Layer {
 public:
  Tensor Forward(const Tensor& input) override;
  Tensor Backward(const Tensor& output_grad) override;

 protected:
  void OnTrainingChanged() override { input_shape_ = Shape(); }

 private:
  Shape input_shape_;  // training only
};

}  // namespace nn

#endif  // NN_LAYERS_POOLING_H_
