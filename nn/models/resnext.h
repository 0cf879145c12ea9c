// ResNeXt (Xie et al. 2017) as torchvision builds it: a 7x7 stem, four stages of
// bottleneck blocks with grouped 3x3 convolutions, optional global pool + fc classifier.
// resnext50_32x4d = depths {3, 4, 6, 3}, groups 32, width_per_group 4, base 64 — identical
// to torchvision layer for layer, parameter for parameter.
//
// Training mode runs conv -> batch norm -> ReLU with batch statistics and keeps what
// backward needs. Evaluation mode folds every batch norm into its convolution's epilogue —
// a per-channel scale and shift from the running statistics (FoldBatchNormIntoScaleShift,
// nn/ops/batch_norm.h: a few thousand numbers, so no folded copy of the 100 MB of weights
// is kept) — together with the residual add and the ReLU. The fold is computed once, by the
// first eval Forward after a state change (Module::OnStateChanged: Train/Eval, To, loading
// or writing the state), and shared by concurrent eval Forwards.
#ifndef NN_MODELS_RESNEXT_H_
#define NN_MODELS_RESNEXT_H_

#include <atomic>
#include <memory>
#include <mutex>
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

// A convolution and the eval-mode batch norm after it, run as one convolution:
// relu?(bn(conv(input)) + residual), the batch norm applied by the convolution's epilogue
// as a per-channel scale and shift. The fold is computed at the first Forward after
// construction or Invalidate() and cached. Forward may run on many threads at once (the
// first folds under a lock); Invalidate() must not run concurrently with Forward (the
// rules of nn/module.h).
class ConvBatchNormFold {
 public:
  ConvBatchNormFold(Conv2d* conv, BatchNorm2d* bn) : conv_(conv), bn_(bn) {}
  ConvBatchNormFold(const ConvBatchNormFold&) = delete;
  ConvBatchNormFold& operator=(const ConvBatchNormFold&) = delete;

  Tensor Forward(const Tensor& input, const Tensor* residual, bool relu);
  void Invalidate() { folded_.store(false, std::memory_order_release); }

 private:
  void FoldOnce();

  Conv2d* conv_;
  BatchNorm2d* bn_;
  std::mutex mutex_;
  std::atomic<bool> folded_{false};
  Tensor scale_, shift_;  // [Cout], written under mutex_ before folded_ is set
};

class Bottleneck : public Layer {
 public:
  static constexpr int kExpansion = 4;
  Bottleneck(int64_t in_channels, int64_t planes, int stride, int groups, int width_per_group);
  Tensor Forward(const Tensor& input) override;
  Tensor Backward(const Tensor& output_grad) override;

 protected:
  void OnStateChanged() override;

 private:
  Tensor ForwardFolded(const Tensor& input);

  Conv2d *conv1_, *conv2_, *conv3_;
  BatchNorm2d *bn1_, *bn2_, *bn3_;
  ReLU *relu1_, *relu2_, *relu3_;
  Conv2d* downsample_conv_ = nullptr;
  BatchNorm2d* downsample_bn_ = nullptr;
  std::unique_ptr<ConvBatchNormFold> fold1_, fold2_, fold3_, downsample_fold_;
};

class ResNeXt : public Layer {
 public:
  explicit ResNeXt(const ResNeXtOptions& options);
  // [N, 3, H, W] -> features [N, C, h, w] (num_classes == 0) or logits [N, num_classes].
  Tensor Forward(const Tensor& input) override;
  Tensor Backward(const Tensor& output_grad) override;
  const ResNeXtOptions& options() const { return options_; }

 protected:
  void OnStateChanged() override;
  void OnTrainingChanged() override { pooled_shape_ = Shape(); }

 private:
  ResNeXtOptions options_;
  Conv2d* conv1_;
  BatchNorm2d* bn1_;
  ReLU* relu_;
  MaxPool2d* maxpool_;
  std::vector<Sequential*> stages_;
  GlobalAvgPool2d* avgpool_ = nullptr;  // with a classifier
  Linear* fc_ = nullptr;
  std::unique_ptr<ConvBatchNormFold> stem_fold_;
  Shape pooled_shape_;  // training only (with a classifier)
};

}  // namespace nn

#endif  // NN_MODELS_RESNEXT_H_
