// LSTM layer: torch.nn.LSTM's parameters under its names (weight_ih_l0, weight_hh_l0,
// bias_ih_l0, bias_hh_l0, ..._reverse) over nn/ops/lstm.h. Zero initial state; the output
// sequence is returned (h_n/c_n are not needed by the detector).
#ifndef NN_LAYERS_LSTM_H_
#define NN_LAYERS_LSTM_H_

#include <vector>

#include "nn/module.h"
#include "nn/ops/lstm.h"

namespace nn {

class Lstm : public Layer {
 public:
  explicit Lstm(const LstmOptions& options, uint64_t dropout_seed = 0);
  // [T, B, in] (or [B, T, in] with batch_first) -> [T, B, D*H] (or [B, T, D*H]). Each
  // training-mode call draws new inter-layer dropout masks from (seed, training calls).
  Tensor Forward(const Tensor& input) override;
  Tensor Backward(const Tensor& output_grad) override;
  // The gradient wrt `input` of <output_grad, Forward(input)> with evaluation-mode
  // semantics (no dropout), whatever the mode: a forward into a local cache, then BPTT.
  // input [T, B, in] (or [B, T, in]), output_grad the output's shape -> [input's shape].
  // Keeps nothing and accumulates no parameter gradient, so it may run concurrently with
  // eval Forwards and other InputGradient calls (explanations of a shared model).
  Tensor InputGradient(const Tensor& input, const Tensor& output_grad) const;
  const LstmOptions& options() const { return options_; }
  // Resumable training: the number of training-mode calls (dropout masks drawn) so far.
  uint64_t calls() const { return calls_; }
  void set_calls(uint64_t calls) { calls_ = calls; }

 protected:
  void OnTrainingChanged() override;

 private:
  // The op's view of the registered parameters' values (or gradients): handles sharing
  // their storage, gathered at each call so they follow To() and state loads.
  std::vector<LstmDirectionWeights> Weights(bool gradients) const;

  LstmOptions options_;
  uint64_t dropout_seed_;
  uint64_t calls_ = 0;                  // training-mode Forwards
  std::vector<Parameter*> parameters_;  // in LstmParameterNames order
  // Training only: what Backward needs.
  LstmCache cache_;
  Tensor input_;
  bool has_cache_ = false;
};

}  // namespace nn

#endif  // NN_LAYERS_LSTM_H_
