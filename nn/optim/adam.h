// Adam (L2 weight decay added to the gradient, torch.optim.Adam) and AdamW (decoupled
// weight decay, torch.optim.AdamW), PyTorch 1.13.1 semantics with amsgrad=False,
// maximize=False.
#ifndef NN_OPTIM_ADAM_H_
#define NN_OPTIM_ADAM_H_

#include <string>

#include "nn/optim/optimizer.h"

namespace nn::optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
};

// AdamW's default weight decay is 1e-2, as in PyTorch.
struct AdamWOptions : AdamOptions {
  AdamWOptions() { weight_decay = 1e-2; }
};

class Adam : public Optimizer {
 public:
  Adam(NamedParameterList parameters, const AdamOptions& options);
  std::string type() const override { return decoupled_ ? "AdamW" : "Adam"; }
  const AdamOptions& options() const { return options_; }

 protected:
  Adam(NamedParameterList parameters, const AdamOptions& options, bool decoupled);
  void UpdateParameter(size_t index, Parameter* parameter) override;
  io::Metadata Options() const override;

 private:
  AdamOptions options_;
  bool decoupled_;
  int exp_avg_slot_;
  int exp_avg_sq_slot_;
};

class AdamW : public Adam {
 public:
  AdamW(NamedParameterList parameters, const AdamWOptions& options = AdamWOptions())
      : Adam(std::move(parameters), options, /*decoupled=*/true) {}
};

}  // namespace nn::optim

#endif  // NN_OPTIM_ADAM_H_
