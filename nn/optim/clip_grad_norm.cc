// clip_grad_norm_: per-tensor norms (the VectorNorm op), the total norm and clipping
// coefficient on the host, and the scaling (the ScaleInPlace op).
#include "nn/optim/clip_grad_norm.h"

#include <algorithm>
#include <cmath>

#include "nn/ops/optimizer_ops.h"

namespace nn::optim {

float ClipGradNorm(const std::vector<Parameter*>& parameters, double max_norm, double norm_type) {
  NN_CHECK(norm_type > 0) << "ClipGradNorm: norm_type must be positive or inf, is " << norm_type;
  if (parameters.empty()) return 0.0f;
  const bool is_inf = std::isinf(norm_type);
  // Norm of the stacked float norms (or their maximum), rounded to float.
  double accumulated = 0;
  for (const Parameter* parameter : parameters) {
    NN_CHECK(parameter != nullptr) << "ClipGradNorm: null parameter";
    const float norm = VectorNorm(parameter->grad, norm_type);
    if (is_inf) {
      accumulated = (norm > accumulated || std::isnan(norm)) ? norm : accumulated;
    } else if (norm_type == 2.0) {
      accumulated += static_cast<double>(norm) * norm;
    } else {
      accumulated += std::pow(static_cast<double>(norm), norm_type);
    }
  }
  const float total =
      static_cast<float>(is_inf             ? accumulated
                         : norm_type == 2.0 ? std::sqrt(accumulated)
                                            : std::pow(accumulated, 1.0 / norm_type));
  // clip_coef = max_norm / (total_norm + 1e-6); clamp(max=1.0): float tensor arithmetic.
  const float coef_unclamped = static_cast<float>(max_norm) / (total + static_cast<float>(1e-6));
  const float coef = std::isnan(coef_unclamped) ? coef_unclamped : std::min(coef_unclamped, 1.0f);
  for (Parameter* parameter : parameters) ScaleInPlace(coef, &parameter->grad);
  return total;
}

float ClipGradNorm(const NamedParameterList& parameters, double max_norm, double norm_type) {
  std::vector<Parameter*> plain;
  plain.reserve(parameters.size());
  for (const auto& entry : parameters) plain.push_back(entry.second);
  return ClipGradNorm(plain, max_norm, norm_type);
}

}  // namespace nn::optim
