// Loss CPU kernels: per-element / per-row terms in double precision (ParallelFor, each
// index its own slot), summed serially in index order, so the result does not depend on
// the thread count.
#include "nn/cpu/loss.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/thread_pool.h"

namespace nn::cpu {
namespace {

constexpr int64_t kMinElementsPerThread = 1 << 14;

// softplus(-x) = log(1 + exp(-x)) = max(-x, 0) + log1p(exp(-|x|)), without overflow.
double SoftplusOfNegative(double x) {
  return std::max(-x, 0.0) + std::log1p(std::exp(-std::abs(x)));
}

double Sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

double PosWeight(const float* pos_weight, int64_t size, int64_t i) {
  return pos_weight != nullptr ? pos_weight[i % size] : 1.0;
}

// Row r of log_softmax(logits) into `logp` (double).
void LogSoftmaxRow(const float* x, int64_t classes, double* logp) {
  double m = -INFINITY;
  for (int64_t j = 0; j < classes; ++j) m = std::max(m, static_cast<double>(x[j]));
  double sum = 0;
  for (int64_t j = 0; j < classes; ++j) sum += std::exp(x[j] - m);
  const double shift = m + std::log(sum);
  for (int64_t j = 0; j < classes; ++j) logp[j] = x[j] - shift;
}

double ClassWeight(const float* class_weights, int64_t c) {
  return class_weights != nullptr ? class_weights[c] : 1.0;
}

}  // namespace

double TargetWeightSum(const int64_t* targets, const float* class_weights, int64_t rows,
                       int64_t ignore_index) {
  double total = 0;
  for (int64_t i = 0; i < rows; ++i) {
    if (targets[i] != ignore_index) total += ClassWeight(class_weights, targets[i]);
  }
  return total;
}

double BCEWithLogits(const float* logits, const float* targets, const float* pos_weight,
                     int64_t pos_weight_size, int64_t n) {
  std::vector<double> terms(n);
  base::ParallelFor(
      n,
      [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          const double x = logits[i], t = targets[i];
          const double log_weight = 1.0 + (PosWeight(pos_weight, pos_weight_size, i) - 1.0) * t;
          terms[i] = (1.0 - t) * x + log_weight * SoftplusOfNegative(x);
        }
      },
      kMinElementsPerThread);
  double sum = 0;
  for (double term : terms) sum += term;
  return sum / static_cast<double>(n);
}

// l = (1 - t) x + lw softplus(-x), lw = 1 + (pw - 1) t, d softplus(-x)/dx = -sigmoid(-x):
//   dl/dx = (1 - t) - lw (1 - sigmoid(x)) = lw sigmoid(x) - pw t.
void BCEWithLogitsBackward(const float* logits, const float* targets, const float* pos_weight,
                           int64_t pos_weight_size, int64_t n, float scale, float* dlogits) {
  base::ParallelFor(
      n,
      [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          const double t = targets[i];
          const double pw = PosWeight(pos_weight, pos_weight_size, i);
          const double log_weight = 1.0 + (pw - 1.0) * t;
          dlogits[i] += static_cast<float>(scale * (log_weight * Sigmoid(logits[i]) - pw * t));
        }
      },
      kMinElementsPerThread);
}

double CrossEntropy(const float* logits, const int64_t* targets, const float* class_weights,
                    int64_t rows, int64_t classes, float label_smoothing, int64_t ignore_index) {
  const double eps = label_smoothing;
  std::vector<double> terms(rows, 0.0);
  base::ParallelFor(
      rows,
      [&](int64_t begin, int64_t end) {
        std::vector<double> logp(classes);
        for (int64_t i = begin; i < end; ++i) {
          if (targets[i] == ignore_index) continue;
          LogSoftmaxRow(logits + i * classes, classes, logp.data());
          double term = -ClassWeight(class_weights, targets[i]) * logp[targets[i]];
          if (eps > 0) {
            double smooth = 0;
            for (int64_t c = 0; c < classes; ++c) smooth -= ClassWeight(class_weights, c) * logp[c];
            term = (1.0 - eps) * term + eps / static_cast<double>(classes) * smooth;
          }
          terms[i] = term;
        }
      },
      std::max<int64_t>(1, kMinElementsPerThread / std::max<int64_t>(classes, 1)));
  double sum = 0;
  for (double term : terms) sum += term;
  // No rows left (all ignored): 0 / 0 = NaN, as PyTorch.
  return sum / TargetWeightSum(targets, class_weights, rows, ignore_index);
}

// d(-logp[i, c]) / dz[i, j] = p_ij - [j == c], so
//   d/dz_ij of w_i (-logp[i, t_i])              = w_i (p_ij - [j == t_i])
//   d/dz_ij of sum_c weight[c] (-logp[i, c])   = p_ij sum_c weight[c] - weight[j]
// and the loss is their (1 - eps, eps / C) mix over D.
void CrossEntropyBackward(const float* logits, const int64_t* targets, const float* class_weights,
                          int64_t rows, int64_t classes, float label_smoothing,
                          int64_t ignore_index, float dloss, float* dlogits) {
  const double eps = label_smoothing;
  const double scale = dloss / TargetWeightSum(targets, class_weights, rows, ignore_index);
  double weight_sum = 0;
  for (int64_t c = 0; c < classes; ++c) weight_sum += ClassWeight(class_weights, c);
  base::ParallelFor(
      rows,
      [&](int64_t begin, int64_t end) {
        std::vector<double> logp(classes);
        for (int64_t i = begin; i < end; ++i) {
          const int64_t t = targets[i];
          if (t == ignore_index) continue;
          LogSoftmaxRow(logits + i * classes, classes, logp.data());
          const double wt = ClassWeight(class_weights, t);
          float* d = dlogits + i * classes;
          for (int64_t j = 0; j < classes; ++j) {
            const double p = std::exp(logp[j]);
            double g = (1.0 - eps) * wt * (p - (j == t ? 1.0 : 0.0));
            if (eps > 0) {
              g += eps / static_cast<double>(classes) *
                   (p * weight_sum - ClassWeight(class_weights, j));
            }
            d[j] += static_cast<float>(scale * g);
          }
        }
      },
      std::max<int64_t>(1, kMinElementsPerThread / std::max<int64_t>(classes, 1)));
}

}  // namespace nn::cpu
