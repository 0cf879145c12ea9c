// Optimizer-update CPU kernels: plain loops, parallel over contiguous chunks. Built with
// -ffp-contract=off: the fused multiply-adds are the explicit std::fma calls, placed where
// ATen's vectorized kernels fuse (add with alpha), so results match PyTorch bit for bit.
#include "nn/cpu/optimizer_ops.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "base/thread_pool.h"

namespace nn::cpu {
namespace {

// Below this many elements a loop runs inline; above, in chunks of at least kMinChunk.
constexpr int64_t kParallelThreshold = int64_t{1} << 15;
constexpr int64_t kMinChunk = int64_t{1} << 13;

// Calls fn(begin, end) over [0, n): inline for small n, split over ParallelFor otherwise.
void ForEachChunk(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (n < kParallelThreshold) {
    fn(0, n);
  } else {
    base::ParallelFor(n, fn, kMinChunk);
  }
}

}  // namespace

void SgdStep(const float* grad, float* param, float* momentum_buffer, int64_t n, float neg_lr,
             float weight_decay, float momentum, float one_minus_dampening, bool first_step,
             bool nesterov) {
  const bool decay = weight_decay != 0;
  ForEachChunk(n, [&](int64_t begin, int64_t end) {
    float* p = param;
    float* b = momentum_buffer;
    for (int64_t i = begin; i < end; ++i) {
      float d = grad[i];
      if (decay) d = std::fma(p[i], weight_decay, d);
      if (b != nullptr) {
        b[i] = first_step ? d : std::fma(d, one_minus_dampening, b[i] * momentum);
        d = nesterov ? std::fma(b[i], momentum, d) : b[i];
      }
      p[i] = std::fma(d, neg_lr, p[i]);
    }
  });
}

void AdamStep(const float* grad, float* param, float* exp_avg, float* exp_avg_sq, int64_t n,
              float beta1, float beta2, float one_minus_beta1, float one_minus_beta2,
              float neg_step_size, float bias_correction2_sqrt, float eps, float weight_decay,
              float decay_factor, bool decoupled) {
  const bool l2 = !decoupled && weight_decay != 0;
  ForEachChunk(n, [&](int64_t begin, int64_t end) {
    float* p = param;
    float* m = exp_avg;
    float* v = exp_avg_sq;
    for (int64_t i = begin; i < end; ++i) {
      float g = grad[i];
      if (decoupled) p[i] = p[i] * decay_factor;
      if (l2) g = std::fma(p[i], weight_decay, g);
      m[i] = std::fma(g, one_minus_beta1, m[i] * beta1);
      v[i] = v[i] * beta2 + one_minus_beta2 * g * g;
      const float denom = std::sqrt(v[i]) / bias_correction2_sqrt + eps;
      p[i] = p[i] + neg_step_size * m[i] / denom;
    }
  });
}

float VectorNorm(const float* x, int64_t n, double p) {
  if (n == 0) return 0.0f;
  const int64_t blocks = (n + kNormBlock - 1) / kNormBlock;
  std::vector<double> partial(blocks, 0.0);
  const bool is_inf = std::isinf(p);
  auto reduce = [&](int64_t first_block, int64_t last_block) {
    for (int64_t b = first_block; b < last_block; ++b) {
      double acc = 0;
      const int64_t end = std::min(n, (b + 1) * kNormBlock);
      for (int64_t i = b * kNormBlock; i < end; ++i) {
        const double a = std::fabs(static_cast<double>(x[i]));
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
  return NormFromBlocks(partial.data(), blocks, p);
}

float NormFromBlocks(const double* block_results, int64_t blocks, double p) {
  const bool is_inf = std::isinf(p);
  double total = 0;
  for (int64_t b = 0; b < blocks; ++b) {
    const double value = block_results[b];
    if (is_inf) {
      total = (value > total || std::isnan(value)) ? value : total;
    } else {
      total += value;
    }
  }
  if (is_inf || p == 1.0) return static_cast<float>(total);
  return static_cast<float>(p == 2.0 ? std::sqrt(total) : std::pow(total, 1.0 / p));
}

void ScaleInPlace(float* x, int64_t n, float factor) {
  ForEachChunk(n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) x[i] = x[i] * factor;
  });
}

}  // namespace nn::cpu
