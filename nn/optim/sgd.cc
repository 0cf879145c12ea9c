// SGD (torch.optim.SGD, single-tensor path): options, state and the call of the SgdStep op.
#include "nn/optim/sgd.h"

#include "nn/ops/optimizer_ops.h"

namespace nn::optim {

SGD::SGD(NamedParameterList parameters, const SGDOptions& options)
    : Optimizer(std::move(parameters), options.lr), options_(options) {
  NN_CHECK(options.momentum >= 0) << "SGD: invalid momentum " << options.momentum;
  NN_CHECK(options.weight_decay >= 0) << "SGD: invalid weight_decay " << options.weight_decay;
  NN_CHECK(!options.nesterov || (options.momentum > 0 && options.dampening == 0))
      << "SGD: Nesterov momentum requires a momentum and zero dampening (momentum "
      << options.momentum << ", dampening " << options.dampening << ")";
  if (options.momentum != 0) momentum_slot_ = AddSlot("momentum_buffer");
}

io::Metadata SGD::Options() const {
  return {{"momentum", FormatDouble(options_.momentum)},
          {"dampening", FormatDouble(options_.dampening)},
          {"weight_decay", FormatDouble(options_.weight_decay)},
          {"nesterov", options_.nesterov ? "true" : "false"}};
}

// The update (nn/ops/optimizer_ops.h, SgdStep), with g the gradient, wd the weight decay,
// mu the momentum, tau the dampening:
//   d = g + wd * p
//   b = d                          on the first step
//   b = mu * b + (1 - tau) * d     afterwards
//   d = d + mu * b  (Nesterov)  or  d = b
//   p = p - lr * d
void SGD::UpdateParameter(size_t index, Parameter* parameter) {
  const SgdStepOptions step{.lr = lr(),
                            .momentum = options_.momentum,
                            .dampening = options_.dampening,
                            .weight_decay = options_.weight_decay,
                            .nesterov = options_.nesterov,
                            .first_step = step_count() == 1};
  SgdStep(parameter->grad, step, &parameter->value,
          momentum_slot_ >= 0 ? &slot(momentum_slot_, index) : nullptr);
}

}  // namespace nn::optim
