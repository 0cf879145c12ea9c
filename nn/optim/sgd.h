// SGD: stochastic gradient descent with momentum, dampening, Nesterov momentum and L2
// weight decay, exactly torch.optim.SGD (PyTorch 1.13.1, maximize=False).
#ifndef NN_OPTIM_SGD_H_
#define NN_OPTIM_SGD_H_

#include <string>

#include "nn/optim/optimizer.h"

namespace nn::optim {

struct SGDOptions {
  double lr = 0.01;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;  // L2: added to the gradient as weight_decay * param
  bool nesterov = false;    // needs momentum > 0 and dampening == 0
};

class SGD : public Optimizer {
 public:
  SGD(NamedParameterList parameters, const SGDOptions& options);
  std::string type() const override { return "SGD"; }
  const SGDOptions& options() const { return options_; }

 protected:
  void UpdateParameter(size_t index, Parameter* parameter) override;
  io::Metadata Options() const override;

 private:
  SGDOptions options_;
  int momentum_slot_ = -1;  // "momentum_buffer", when momentum != 0
};

}  // namespace nn::optim

#endif  // NN_OPTIM_SGD_H_
