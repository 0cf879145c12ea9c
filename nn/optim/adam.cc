// Adam and AdamW updates (torch.optim.Adam / AdamW, single-tensor path) on float32 CPU
// tensors.
#include "nn/optim/adam.h"

#include <cmath>

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

// With g the gradient, t the step count, wd the weight decay:
//   AdamW:  p = p * (1 - lr * wd)                 (decoupled weight decay)
//   Adam:   g = g + wd * p                        (L2, only when wd != 0)
//   m = beta1 * m + (1 - beta1) * g
//   v = beta2 * v + (1 - beta2) * g * g
//   p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// The bias corrections and the step size are computed in double and rounded to float, as
// PyTorch does with Python floats; the order of the float operations is ATen's.
void Adam::UpdateParameter(size_t index, Parameter* parameter) {
  float* p = parameter->value.data<float>();
  const float* g = parameter->grad.data<float>();
  float* m = slot(exp_avg_slot_, index).data<float>();
  float* v = slot(exp_avg_sq_slot_, index).data<float>();
  const double t = static_cast<double>(step_count());
  const double bias_correction1 = 1 - std::pow(options_.beta1, t);
  const double bias_correction2 = 1 - std::pow(options_.beta2, t);
  const float neg_step_size = static_cast<float>(-(lr() / bias_correction1));
  const float bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  const float eps = static_cast<float>(options_.eps);
  const float beta1 = static_cast<float>(options_.beta1);
  const float beta2 = static_cast<float>(options_.beta2);
  const float one_minus_beta1 = static_cast<float>(1 - options_.beta1);
  const float one_minus_beta2 = static_cast<float>(1 - options_.beta2);
  const bool decoupled = decoupled_;
  const bool l2 = !decoupled_ && options_.weight_decay != 0;
  const float weight_decay = static_cast<float>(options_.weight_decay);
  const float decay_factor = static_cast<float>(1 - lr() * options_.weight_decay);
  ForEachChunk(parameter->value.numel(), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      float grad = g[i];
      if (decoupled) p[i] = p[i] * decay_factor;
      if (l2) grad = std::fma(p[i], weight_decay, grad);
      m[i] = std::fma(grad, one_minus_beta1, m[i] * beta1);
      v[i] = v[i] * beta2 + one_minus_beta2 * grad * grad;
      const float denom = std::sqrt(v[i]) / bias_correction2_sqrt + eps;
      p[i] = p[i] + neg_step_size * m[i] / denom;
    }
  });
}

}  // namespace nn::optim
