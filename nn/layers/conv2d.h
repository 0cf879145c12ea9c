// Conv2d layer: torch.nn.Conv2d (weight [Cout, Cin/groups, KH, KW], optional bias) over
// nn/ops/conv.h. Keeps its input for Backward in training mode only.
#ifndef NN_LAYERS_CONV2D_H_
#define NN_LAYERS_CONV2D_H_

#include "nn/module.h"
#include "nn/ops/conv.h"

namespace nn {

struct Conv2dOptions {
  int64_t in_channels = 0, out_channels = 0;
  int kernel_h = 1, kernel_w = 1;
  Conv2dParams params;  // stride, padding, dilation, groups
  bool bias = true;
};

class Conv2d : public Layer {
 public:
  explicit Conv2d(const Conv2dOptions& options);
  Tensor Forward(const Tensor& input) override;
  Tensor Backward(const Tensor& output_grad) override;

  const Conv2dOptions& options() const { return options_; }
  // A first layer, whose input is data, skips its input gradient (Backward returns an
  // undefined tensor), as autograd does for inputs that do not require grad.
  void set_needs_input_grad(bool needs) { needs_input_grad_ = needs; }
  Parameter* weight() { return weight_; }
  Parameter* bias() { return bias_; }  // null without bias

 protected:
  void OnTrainingChanged() override { input_ = Tensor(); }

 private:
  Conv2dOptions options_;
  Parameter* weight_;
  Parameter* bias_ = nullptr;
  bool needs_input_grad_ = true;
  Tensor input_;  // training only
};

}  // namespace nn

#endif  // NN_LAYERS_CONV2D_H_
