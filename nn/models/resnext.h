// ResNeXt (Xie et al. 2017) as torchvision builds it: a 7x7 stem, four stages of
// bottleneck blocks with grouped 3x3 convolutions, optional global pool + fc classifier.
// resnext50_32x4d = depths {3, 4, 6, 3}, groups 32, width_per_group 4, base 64 — identical
// to torchvision layer for layer, parameter for parameter.
//
// Training mode runs conv -> batch norm -> ReLU with batch statistics and caches for
// backward. Evaluation mode folds every batch norm into its convolution's epilogue — a
// per-channel scale and bias from the running statistics, computed at each forward (a few
// thousand numbers) so no folded copy of the 100 MB of weights is kept — together with the
// residual add and the ReLU.
#ifndef NN_MODELS_RESNEXT_H_
#define NN_MODELS_RESNEXT_H_

#include <vector>

#include "nn/layers/activation_layers.h"
#include "nn/layers/batch_norm2d.h"
#include "nn/layers/conv2d.h"
#include "nn/layers/linear.h"
#include "nn/layers/pooling.h"
#include "nn/module.h"

namespace nn {

struct ResNeXtOptions {
  std::vector<int> depths = {3, 4, 6, 3};
  int groups = 32;
  int width_per_group = 4;
  int base_width = 64;  // stem channels; stage i has base_width * 2^i planes (torchvision: 64)
  int num_classes = 0;  // > 0: global pool + fc classifier; 0: the trunk only
  // Child names: torchvision's (conv1, bn1, relu, maxpool, layer1..4, fc) or the paper's
  // nn.Sequential(*list(resnext.children())[:-2]) indices "0".."7".
  bool sequential_names = false;
  // Backward returns the gradient of the images; off when they are just data (training),
  // which skips the stem's most expensive backward product.
  bool input_grad = true;

  int64_t feature_channels() const { return int64_t{base_width} * 8 * 4; }
};

class Bottleneck : public Layer {
 public:
  static constexpr int kExpansion = 4;
  Bottleneck(int64_t in_channels, int64_t planes, int stride, int groups, int width_per_group);
  Tensor Forward(const Tensor& input) override;
  Tensor Backward(const Tensor& output_grad) override;

 private:
  Tensor ForwardFolded(const Tensor& input);

  Conv2d *conv1_, *conv2_, *conv3_;
  BatchNorm2d *bn1_, *bn2_, *bn3_;
  ReLU *relu1_, *relu2_, *relu3_;
  Conv2d* downsample_conv_ = nullptr;
  BatchNorm2d* downsample_bn_ = nullptr;
};

class ResNeXt : public Layer {
 public:
  explicit ResNeXt(const ResNeXtOptions& options);
  // [N, 3, H, W] -> features [N, C, h, w] (num_classes == 0) or logits [N, num_classes].
  Tensor Forward(const Tensor& input) override;
  Tensor Backward(const Tensor& output_grad) override;
  const ResNeXtOptions& options() const { return options_; }

 private:
  ResNeXtOptions options_;
  Conv2d* conv1_;
  BatchNorm2d* bn1_;
  ReLU* relu_;
  MaxPool2d* maxpool_;
  std::vector<Sequential*> stages_;
  GlobalAvgPool2d avgpool_;
  Linear* fc_ = nullptr;
  Shape pooled_shape_;
};

// Inference: relu?(bn(conv(input)) + residual) in one convolution, the batch norm (running
// statistics) applied as the epilogue's per-channel scale and bias.
Tensor ConvBatchNormInference(Conv2d& conv, BatchNorm2d& bn, const Tensor& input,
                              const Tensor* residual, bool relu);

}  // namespace nn

#endif  // NN_MODELS_RESNEXT_H_
