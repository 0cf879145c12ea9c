// BatchNorm2d layer: torch.nn.BatchNorm2d with weight, bias, running_mean, running_var and
// num_batches_tracked (a float32 buffer here; PyTorch's is int64 — the checkpoint readers
// convert). Training mode normalizes with batch statistics and updates the running ones
// (and keeps its input for Backward); eval mode uses the running ones and keeps nothing.
#ifndef NN_LAYERS_BATCH_NORM2D_H_
#define NN_LAYERS_BATCH_NORM2D_H_

#include "nn/module.h"
#include "nn/ops/batch_norm.h"

namespace nn {

class BatchNorm2d : public Layer {
 public:
  explicit BatchNorm2d(int64_t channels, float eps = 1e-5f, float momentum = 0.1f);
  Tensor Forward(const Tensor& input) override;
  Tensor Backward(const Tensor& output_grad) override;

  float eps() const { return eps_; }
  Parameter* weight() { return weight_; }
  Parameter* bias() { return bias_; }
  Tensor& running_mean() { return *running_mean_; }
  Tensor& running_var() { return *running_var_; }
  Tensor& num_batches_tracked() { return *num_batches_tracked_; }

 protected:
  void OnTrainingChanged() override;

 private:
  float eps_, momentum_;
  Parameter* weight_;
  Parameter* bias_;
  Tensor* running_mean_;
  Tensor* running_var_;
  Tensor* num_batches_tracked_;
  // Training only: what Backward needs.
  Tensor input_;
  BatchNormCache cache_;
};

}  // namespace nn

#endif  // NN_LAYERS_BATCH_NORM2D_H_
