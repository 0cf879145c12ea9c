// SGD update (torch.optim.SGD, single-tensor path) on float32 CPU tensors.
#include "nn/optim/sgd.h"

#include <cmath>

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

// With g the gradient, wd the weight decay, mu the momentum, tau the dampening:
//   d = g + wd * p
//   b = d                          on the first step
//   b = mu * b + (1 - tau) * d     afterwards
//   d = d + mu * b  (Nesterov)  or  d = b
//   p = p - lr * d
// Scalars are rounded to float once, as ATen does with Python scalars; "x + a * y" (ATen's
// add with alpha) is a fused multiply-add, as in its vectorized kernel.
void SGD::UpdateParameter(size_t index, Parameter* parameter) {
  float* p = parameter->value.data<float>();
  const float* g = parameter->grad.data<float>();
  float* buffer = momentum_slot_ >= 0 ? slot(momentum_slot_, index).data<float>() : nullptr;
  const bool decay = options_.weight_decay != 0;
  const bool first = step_count() == 1;
  const bool nesterov = options_.nesterov;
  const float weight_decay = static_cast<float>(options_.weight_decay);
  const float momentum = static_cast<float>(options_.momentum);
  const float one_minus_dampening = static_cast<float>(1 - options_.dampening);
  const float neg_lr = static_cast<float>(-lr());
  ForEachChunk(parameter->value.numel(), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      float d = g[i];
      if (decay) d = std::fma(p[i], weight_decay, d);
      if (buffer != nullptr) {
        buffer[i] = first ? d : std::fma(d, one_minus_dampening, buffer[i] * momentum);
        d = nesterov ? std::fma(buffer[i], momentum, d) : buffer[i];
      }
      p[i] = std::fma(d, neg_lr, p[i]);
    }
  });
}

}  // namespace nn::optim
