// Parameter-free layers: ReLU (optionally in place, as torch.nn.ReLU(inplace=True)),
// Dropout (seeded), and Flatten-free helpers live here.
#ifndef NN_LAYERS_ACTIVATION_LAYERS_H_
#define NN_LAYERS_ACTIVATION_LAYERS_H_

#include <cstdint>

#include "nn/module.h"

namespace nn {

class ReLU : public Layer {
 public:
  // In place: Forward overwrites its input and Backward its output gradient (callers must
  // need neither afterwards), as torch.nn.ReLU(inplace=True).
  explicit ReLU(bool inplace = false) : inplace_(inplace) {}
  Tensor Forward(const Tensor& input) override;
  Tensor Backward(const Tensor& output_grad) override;

 protected:
  void OnTrainingChanged() override { output_ = Tensor(); }

 private:
  bool inplace_;
  Tensor output_;  // training only: the mask for backward, y > 0 <=> x > 0
};

// Inverted dropout with probability p. Each training Forward draws a fresh mask from
// (seed, call counter), so a run is reproducible from its seed; eval is the identity (and
// counts nothing).
class Dropout : public Layer {
 public:
  explicit Dropout(float p, uint64_t seed = 0) : p_(p), seed_(seed) {}
  Tensor Forward(const Tensor& input) override;
  Tensor Backward(const Tensor& output_grad) override;
  float p() const { return p_; }
  void set_p(float p) { p_ = p; }
  // Resumable training: the number of masks drawn so far.
  uint64_t calls() const { return calls_; }
  void set_calls(uint64_t calls) { calls_ = calls; }

 protected:
  void OnTrainingChanged() override { mask_ = Tensor(); }

 private:
  float p_;
  uint64_t seed_;
  uint64_t calls_ = 0;
  Tensor mask_;  // training only
};

}  // namespace nn

#endif  // NN_LAYERS_ACTIVATION_LAYERS_H_
