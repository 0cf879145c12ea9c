// BatchNorm2d CPU kernels: two-pass statistics (mean, then centered squares, as PyTorch's
// CPU kernel) accumulated in double as PyTorch does — in float over 64-element chunks that
// vectorize, then in double across chunks, so exactness costs little speed; elementwise
// work vectorized by Eigen; one channel per ParallelFor index (each channel owns its
// outputs, so results do not depend on the thread count).
#include "nn/cpu/batch_norm.h"

#include <Eigen/Core>
#include <cmath>

#include "base/thread_pool.h"

namespace nn::cpu {
namespace {

using ConstArray = Eigen::Map<const Eigen::ArrayXf>;
using Array = Eigen::Map<Eigen::ArrayXf>;

// sum_i term(i) for i < n: float partial sums over 64-element chunks (8 lanes of 8, which
// GCC vectorizes), accumulated in double; relative error ~1e-7 per chunk, none across them.
template <typename Term>
double ChunkedSum(int64_t n, const Term& term) {
  constexpr int kChunk = 64, kLanes = 8;
  double total = 0;
  int64_t i = 0;
  for (; i + kChunk <= n; i += kChunk) {
    float lanes[kLanes] = {};
    for (int j = 0; j < kChunk; j += kLanes) {
      for (int k = 0; k < kLanes; ++k) lanes[k] += term(i + j + k);
    }
    float chunk = 0;
    for (int k = 0; k < kLanes; ++k) chunk += lanes[k];
    total += chunk;
  }
  for (; i < n; ++i) total += term(i);
  return total;
}

// y = x * scale + shift over every (n, c) plane of channel c.
void AffineChannel(const float* x, float scale, float shift, int64_t batch, int64_t channels,
                   int64_t spatial, int64_t c, float* y) {
  for (int64_t n = 0; n < batch; ++n) {
    const int64_t offset = (n * channels + c) * spatial;
    Array(y + offset, spatial) = ConstArray(x + offset, spatial) * scale + shift;
  }
}

}  // namespace

void BatchNorm2dTrainingForward(const float* x, const float* weight, const float* bias,
                                int64_t batch, int64_t channels, int64_t spatial, float momentum,
                                float eps, float* running_mean, float* running_var, float* y,
                                float* save_mean, float* save_inv_std) {
  const int64_t count = batch * spatial;
  base::ParallelFor(channels, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      double sum = 0;
      for (int64_t n = 0; n < batch; ++n) {
        const float* plane = x + (n * channels + c) * spatial;
        sum += ChunkedSum(spatial, [plane](int64_t i) { return plane[i]; });
      }
      const double mean = sum / static_cast<double>(count);
      const float mean_f = static_cast<float>(mean);
      double squares = 0;
      for (int64_t n = 0; n < batch; ++n) {
        const float* plane = x + (n * channels + c) * spatial;
        // Centered at the float mean; the double mean's remainder is a second-order term.
        squares += ChunkedSum(spatial, [plane, mean_f](int64_t i) {
          const float d = plane[i] - mean_f;
          return d * d;
        });
      }
      const double var = squares / static_cast<double>(count);
      const double inv_std = 1.0 / std::sqrt(var + static_cast<double>(eps));
      save_mean[c] = static_cast<float>(mean);
      save_inv_std[c] = static_cast<float>(inv_std);
      if (running_mean != nullptr) {
        running_mean[c] = static_cast<float>((1.0 - momentum) * running_mean[c] + momentum * mean);
      }
      if (running_var != nullptr) {
        const double unbiased = squares / static_cast<double>(count - 1);
        running_var[c] =
            static_cast<float>((1.0 - momentum) * running_var[c] + momentum * unbiased);
      }
      // y = (x - mean) * inv_std * gamma + beta = x * scale + (beta - mean * scale).
      const double gamma = weight != nullptr ? weight[c] : 1.0;
      const double beta = bias != nullptr ? bias[c] : 0.0;
      const double scale = inv_std * gamma;
      AffineChannel(x, static_cast<float>(scale), static_cast<float>(beta - mean * scale), batch,
                    channels, spatial, c, y);
    }
  });
}

void BatchNorm2dInferenceForward(const float* x, const float* weight, const float* bias,
                                 const float* running_mean, const float* running_var, int64_t batch,
                                 int64_t channels, int64_t spatial, float eps, float* y,
                                 float* save_mean, float* save_inv_std) {
  base::ParallelFor(channels, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      const double mean = running_mean[c];
      const double inv_std = 1.0 / std::sqrt(static_cast<double>(running_var[c]) + eps);
      save_mean[c] = running_mean[c];
      save_inv_std[c] = static_cast<float>(inv_std);
      const double gamma = weight != nullptr ? weight[c] : 1.0;
      const double beta = bias != nullptr ? bias[c] : 0.0;
      const double scale = inv_std * gamma;
      AffineChannel(x, static_cast<float>(scale), static_cast<float>(beta - mean * scale), batch,
                    channels, spatial, c, y);
    }
  });
}

// With x_hat = (x - mean) * inv_std, y = gamma * x_hat + beta and M = N*HW values per
// channel:
//   dbeta  = sum dy
//   dgamma = sum dy * x_hat
// Eval mode (mean, inv_std constants):
//   dx = dy * gamma * inv_std
// Training mode (mean and inv_std are functions of x):
//   dx = gamma * inv_std / M * (M * dy - sum dy - x_hat * sum(dy * x_hat))
void BatchNorm2dBackward(const float* dy, const float* x, const float* weight, const float* mean,
                         const float* inv_std, int64_t batch, int64_t channels, int64_t spatial,
                         bool training, float* dx, float* dweight, float* dbias) {
  const double count = static_cast<double>(batch * spatial);
  base::ParallelFor(channels, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      const float mu = mean[c];
      const double istd = inv_std[c];
      double sum_dy = 0;
      double sum_dy_centered = 0;  // sum dy * (x - mean)
      for (int64_t n = 0; n < batch; ++n) {
        const int64_t offset = (n * channels + c) * spatial;
        const float* g = dy + offset;
        const float* v = x + offset;
        sum_dy += ChunkedSum(spatial, [g](int64_t i) { return g[i]; });
        sum_dy_centered +=
            ChunkedSum(spatial, [g, v, mu](int64_t i) { return g[i] * (v[i] - mu); });
      }
      const double sum_dy_xhat = sum_dy_centered * istd;
      if (dbias != nullptr) dbias[c] += static_cast<float>(sum_dy);
      if (dweight != nullptr) dweight[c] += static_cast<float>(sum_dy_xhat);
      if (dx == nullptr) continue;
      const double gamma = weight != nullptr ? weight[c] : 1.0;
      const double a = gamma * istd;
      // Training: dx = a * dy - b * (x - mean) - a * sum_dy / M with
      // b = a * inv_std * sum_dy_xhat / M (x centered first, as PyTorch: no cancellation for
      // a large mean). Eval: b = 0 and no sum_dy term.
      const float af = static_cast<float>(a);
      const float bf = training ? static_cast<float>(a * istd * sum_dy_xhat / count) : 0.0f;
      const float shiftf = training ? static_cast<float>(-a * sum_dy / count) : 0.0f;
      const float muf = mean[c];
      for (int64_t n = 0; n < batch; ++n) {
        const int64_t offset = (n * channels + c) * spatial;
        Array(dx + offset, spatial) += ConstArray(dy + offset, spatial) * af -
                                       (ConstArray(x + offset, spatial) - muf) * bf + shiftf;
      }
    }
  });
}

void FoldBatchNormIntoConv(const float* conv_weight, const float* conv_bias, int64_t out_channels,
                           int64_t weights_per_channel, const float* gamma, const float* beta,
                           const float* running_mean, const float* running_var, float eps,
                           float* folded_weight, float* folded_bias) {
  base::ParallelFor(out_channels, [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      // As torch.nn.utils.fusion.fuse_conv_bn_weights, in float32.
      const float rsqrt = 1.0f / std::sqrt(running_var[o] + eps);
      const float scale = (gamma != nullptr ? gamma[o] : 1.0f) * rsqrt;
      const float b = conv_bias != nullptr ? conv_bias[o] : 0.0f;
      folded_bias[o] = (b - running_mean[o]) * rsqrt * (gamma != nullptr ? gamma[o] : 1.0f) +
                       (beta != nullptr ? beta[o] : 0.0f);
      const int64_t offset = o * weights_per_channel;
      Array(folded_weight + offset, weights_per_channel) =
          ConstArray(conv_weight + offset, weights_per_channel) * scale;
    }
  });
}

void FoldBatchNormIntoScaleShift(const float* conv_bias, const float* gamma, const float* beta,
                                 const float* running_mean, const float* running_var,
                                 int64_t channels, float eps, float* scale, float* shift) {
  for (int64_t o = 0; o < channels; ++o) {
    const double s =
        (gamma != nullptr ? gamma[o] : 1.0f) / std::sqrt(static_cast<double>(running_var[o]) + eps);
    scale[o] = static_cast<float>(s);
    shift[o] =
        static_cast<float>((beta != nullptr ? beta[o] : 0.0f) +
                           ((conv_bias != nullptr ? conv_bias[o] : 0.0) - running_mean[o]) * s);
  }
}

}  // namespace nn::cpu
