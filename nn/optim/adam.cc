// Adam and AdamW (torch.optim.Adam / AdamW, single-tensor path): options, state, the bias
// corrections and the call of the AdamStep op.
#include "nn/optim/adam.h"

#include <cmath>

#include "nn/ops/optimizer_ops.h"

namespace nn::optim {

Adam::Adam(NamedParameterList parameters, const AdamOptions& options)
    : Adam(std::move(parameters), options, /*decoupled=*/false) {}

Adam::Adam(NamedParameterList parameters, const AdamOptions& options, bool decoupled)
    : Optimizer(std::move(parameters), options.lr), options_(options), decoupled_(decoupled) {
  NN_CHECK(options.eps >= 0) << type() << ": invalid eps " << options.eps;
  NN_CHECK(options.beta1 >= 0 && options.beta1 < 1)
      << type() << ": invalid beta1 " << options.beta1;
  NN_CHECK(options.beta2 >= 0 && options.beta2 < 1)
      << type() << ": invalid beta2 " << options.beta2;
  NN_CHECK(options.weight_decay >= 0)
      << type() << ": invalid weight_decay " << options.weight_decay;
  exp_avg_slot_ = AddSlot("exp_avg");
  exp_avg_sq_slot_ = AddSlot("exp_avg_sq");
}

io::Metadata Adam::Options() const {
  return {{"beta1", FormatDouble(options_.beta1)},
          {"beta2", FormatDouble(options_.beta2)},
          {"eps", FormatDouble(options_.eps)},
          {"weight_decay", FormatDouble(options_.weight_decay)}};
}

// The update (nn/ops/optimizer_ops.h, AdamStep), with g the gradient, t the step count,
// wd the weight decay:
//   AdamW:  p = p * (1 - lr * wd)                 (decoupled weight decay)
//   Adam:   g = g + wd * p                        (L2, only when wd != 0)
//   m = beta1 * m + (1 - beta1) * g
//   v = beta2 * v + (1 - beta2) * g * g
//   p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// The bias corrections are computed here in double, as PyTorch does in Python.
void Adam::UpdateParameter(size_t index, Parameter* parameter) {
  const double t = static_cast<double>(step_count());
  const AdamStepOptions step{.lr = lr(),
                             .beta1 = options_.beta1,
                             .beta2 = options_.beta2,
                             .eps = options_.eps,
                             .weight_decay = options_.weight_decay,
                             .decoupled_weight_decay = decoupled_,
                             .bias_correction1 = 1 - std::pow(options_.beta1, t),
                             .bias_correction2 = 1 - std::pow(options_.beta2, t)};
  AdamStep(parameter->grad, step, &parameter->value, &slot(exp_avg_slot_, index),
           &slot(exp_avg_sq_slot_, index));
}

}  // namespace nn::optim
