// Linear layer: torch.nn.Linear (weight [out, in], optional bias) on [N, in] inputs.
#ifndef NN_LAYERS_LINEAR_H_
#define NN_LAYERS_LINEAR_H_

#include "nn/module.h"

namespace nn {

class Linear : public Layer {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true);
  // input [N, in] -> [N, out].
  Tensor Forward(const Tensor& input) override;
  Tensor Backward(const Tensor& output_grad) override;
  Parameter* weight() { return weight_; }
  Parameter* bias() { return bias_; }

 protected:
  void OnTrainingChanged() override { input_ = Tensor(); }

 private:
  Parameter* weight_;
  Parameter* bias_ = nullptr;
  Tensor input_;  // training only
};

}  // namespace nn

#endif  // NN_LAYERS_LINEAR_H_
