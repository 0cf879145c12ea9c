// clip_grad_norm_: per-tensor norms (parallel over fixed blocks), total norm, scaling.
#include "nn/optim/clip_grad_norm.h"

#include <algorithm>
#include <cmath>

#include "base/thread_pool.h"

namespace nn::optim {
namespace {

constexpr int64_t kBlock = int64_t{1} << 14;

// ||x||_p of one tensor, rounded to float as torch.norm returns it.
float TensorNorm(const Tensor& x, double p) {
  const float* data = x.data<float>();
  const int64_t n = x.numel();
  if (n == 0) return 0.0f;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> partial(blocks, 0.0);
  const bool is_inf = std::isinf(p);
  auto reduce = [&](int64_t first_block, int64_t last_block) {
    for (int64_t b = first_block; b < last_block; ++b) {
      double acc = 0;
      const int64_t end = std::min(n, (b + 1) * kBlock);
      for (int64_t i = b * kBlock; i < end; ++i) {
        const double a = std::fabs(static_cast<double>(data[i]));
        if (is_inf) {
          acc = (a > acc || std::isnan(a)) ? a : acc;
        } else if (p == 2.0) {
          acc += a * a;
        } else if (p == 1.0) {
          acc += a;
        } else {
          acc += std::pow(a, p);
        }
      }
      partial[b] = acc;
    }
  };
  if (blocks > 1) {
    base::ParallelFor(blocks, reduce);
  } else {
    reduce(0, 1);
  }
  double total = 0;
  for (double value : partial) {
    if (is_inf) {
      total = (value > total || std::isnan(value)) ? value : total;
    } else {
      total += value;
    }
  }
  if (is_inf || p == 1.0) return static_cast<float>(total);
  return static_cast<float>(p == 2.0 ? std::sqrt(total) : std::pow(total, 1.0 / p));
}

}  // namespace

float ClipGradNorm(const std::vector<Parameter*>& parameters, double max_norm, double norm_type) {
  NN_CHECK(norm_type > 0) << "ClipGradNorm: norm_type must be positive or inf, is " << norm_type;
  if (parameters.empty()) return 0.0f;
  const bool is_inf = std::isinf(norm_type);
  // Norm of the stacked float norms (or their maximum), rounded to float.
  double accumulated = 0;
  for (const Parameter* parameter : parameters) {
    NN_CHECK(parameter != nullptr) << "ClipGradNorm: null parameter";
    const float norm = TensorNorm(parameter->grad, norm_type);
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
  for (Parameter* parameter : parameters) {
    float* g = parameter->grad.data<float>();
    ForEachChunk(parameter->grad.numel(), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) g[i] = g[i] * coef;
    });
  }
  return total;
}

float ClipGradNorm(const NamedParameterList& parameters, double max_norm, double norm_type) {
  std::vector<Parameter*> plain;
  plain.reserve(parameters.size());
  for (const auto& entry : parameters) plain.push_back(entry.second);
  return ClipGradNorm(plain, max_norm, norm_type);
}

}  // namespace nn::optim
