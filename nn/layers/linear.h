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
  // dinput = output_grad W for output_grad [N, out] -> [N, in] (the input does not enter a
  // linear map's input gradient). Keeps nothing, accumulates no parameter gradient: safe
  // concurrently with eval Forwards.
  Tensor InputGradient(const Tensor& output_grad) const;
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
