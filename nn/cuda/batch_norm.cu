// BatchNorm2d on the GPU: one block per channel (grid-stride over channels), its threads
// over the channel's N * HW values. The CPU kernels' two-pass statistics in double (mean,
// then squares centered at the float mean), summed by a tree in the block instead of in
// order, so results match the CPU's to rounding; the per-channel scalars are computed by
// every thread from the block's sums, with the CPU's expressions.
#include <cuda_runtime.h>

#include <cmath>

#include "nn/cuda/batch_norm.h"
#include "nn/cuda/block_reduce.h"
#include "nn/cuda/cuda_check.h"
#include "nn/cuda/launch.h"

namespace nn::cuda {
namespace {

// Element k of channel c's values, k < batch * spatial: (n, i) = (k / spatial, k % spatial).
__device__ inline int64_t At(int64_t c, int64_t k, int64_t channels, int64_t spatial) {
  return ((k / spatial) * channels + c) * spatial + k % spatial;
}

#define NN_CUDA_CHANNELS(c, channels) for (int64_t c = blockIdx.x; c < (channels); c += gridDim.x)
#define NN_CUDA_VALUES(k, count) for (int64_t k = threadIdx.x; k < (count); k += blockDim.x)

// y = (x - mean) * inv_std * gamma + beta = x * scale + (beta - mean * scale) over channel c,
// the scalars in double and rounded once, as the CPU.
__device__ void Normalize(const float* x, const float* weight, const float* bias, double mean,
                          double inv_std, int64_t c, int64_t batch, int64_t channels,
                          int64_t spatial, float* y) {
  const double gamma = weight != nullptr ? weight[c] : 1.0;
  const double beta = bias != nullptr ? bias[c] : 0.0;
  const double scale = inv_std * gamma;
  const float scale_f = static_cast<float>(scale),
              shift_f = static_cast<float>(beta - mean * scale);
  NN_CUDA_VALUES(k, batch * spatial) {
    const int64_t at = At(c, k, channels, spatial);
    y[at] = x[at] * scale_f + shift_f;
  }
}

__global__ void TrainingForwardKernel(const float* x, const float* weight, const float* bias,
                                      int64_t batch, int64_t channels, int64_t spatial,
                                      float momentum, float eps, float* running_mean,
                                      float* running_var, float* y, float* save_mean,
                                      float* save_inv_std) {
  const int64_t count = batch * spatial;
  NN_CUDA_CHANNELS(c, channels) {
    double sum = 0;
    NN_CUDA_VALUES(k, count) { sum += x[At(c, k, channels, spatial)]; }
    const double mean = BlockSum(sum) / static_cast<double>(count);
    const float mean_f = static_cast<float>(mean);
    double squares = 0;
    NN_CUDA_VALUES(k, count) {
      const float d = x[At(c, k, channels, spatial)] - mean_f;
      squares += d * d;
    }
    squares = BlockSum(squares);
    const double var = squares / static_cast<double>(count);
    const double inv_std = 1.0 / sqrt(var + static_cast<double>(eps));
    if (threadIdx.x == 0) {
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
    }
    Normalize(x, weight, bias, mean, inv_std, c, batch, channels, spatial, y);
  }
}

__global__ void InferenceForwardKernel(const float* x, const float* weight, const float* bias,
                                       const float* running_mean, const float* running_var,
                                       int64_t batch, int64_t channels, int64_t spatial, float eps,
                                       float* y, float* save_mean, float* save_inv_std) {
  const int64_t count = batch * spatial;
  NN_CUDA_CHANNELS(c, channels) {
    const double mean = running_mean[c];
    const double inv_std = 1.0 / sqrt(static_cast<double>(running_var[c]) + eps);
    if (threadIdx.x == 0) {
      save_mean[c] = running_mean[c];
      save_inv_std[c] = static_cast<float>(inv_std);
    }
    Normalize(x, weight, bias, mean, inv_std, c, batch, channels, spatial, y);
  }
}

// The CPU kernel's gradient (nn/cpu/batch_norm.cc has the derivation).
__global__ void BackwardKernel(const float* dy, const float* x, const float* weight,
                               const float* mean, const float* inv_std, int64_t batch,
                               int64_t channels, int64_t spatial, bool training, float* dx,
                               float* dweight, float* dbias) {
  const int64_t count = batch * spatial;
  NN_CUDA_CHANNELS(c, channels) {
    const float mu = mean[c];
    const double istd = inv_std[c];
    double sum_dy = 0, sum_dy_centered = 0;
    NN_CUDA_VALUES(k, count) {
      const int64_t at = At(c, k, channels, spatial);
      sum_dy += dy[at];
      sum_dy_centered += dy[at] * (x[at] - mu);
    }
    sum_dy = BlockSum(sum_dy);
    const double sum_dy_xhat = BlockSum(sum_dy_centered) * istd;
    if (threadIdx.x == 0) {
      if (dbias != nullptr) dbias[c] += static_cast<float>(sum_dy);
      if (dweight != nullptr) dweight[c] += static_cast<float>(sum_dy_xhat);
    }
    if (dx == nullptr) continue;
    const double gamma = weight != nullptr ? weight[c] : 1.0;
    const double a = gamma * istd;
    const float af = static_cast<float>(a);
    const float bf = training ? static_cast<float>(a * istd * sum_dy_xhat / count) : 0.0f;
    const float shiftf = training ? static_cast<float>(-a * sum_dy / count) : 0.0f;
    NN_CUDA_VALUES(k, count) {
      const int64_t at = At(c, k, channels, spatial);
      dx[at] += dy[at] * af - (x[at] - mu) * bf + shiftf;
    }
  }
}

__global__ void FoldIntoConvKernel(const float* conv_weight, const float* conv_bias,
                                   int64_t out_channels, int64_t weights_per_channel,
                                   const float* gamma, const float* beta, const float* running_mean,
                                   const float* running_var, float eps, float* folded_weight,
                                   float* folded_bias) {
  NN_CUDA_CHANNELS(o, out_channels) {
    const float rsqrt = 1.0f / sqrtf(running_var[o] + eps);
    const float g = gamma != nullptr ? gamma[o] : 1.0f;
    const float scale = g * rsqrt;
    // Every thread reads conv_bias before thread 0 may overwrite it (it may alias).
    const float b = conv_bias != nullptr ? conv_bias[o] : 0.0f;
    __syncthreads();
    if (threadIdx.x == 0) {
      folded_bias[o] = (b - running_mean[o]) * rsqrt * g + (beta != nullptr ? beta[o] : 0.0f);
    }
    const int64_t offset = o * weights_per_channel;
    NN_CUDA_VALUES(k, weights_per_channel) {
      folded_weight[offset + k] = conv_weight[offset + k] * scale;
    }
  }
}

__global__ void FoldIntoScaleShiftKernel(const float* conv_bias, const float* gamma,
                                         const float* beta, const float* running_mean,
                                         const float* running_var, int64_t channels, float eps,
                                         float* scale, float* shift) {
  NN_CUDA_GRID_STRIDE(o, channels) {
    const double s =
        (gamma != nullptr ? gamma[o] : 1.0f) / sqrt(static_cast<double>(running_var[o]) + eps);
    scale[o] = static_cast<float>(s);
    shift[o] =
        static_cast<float>((beta != nullptr ? beta[o] : 0.0f) +
                           ((conv_bias != nullptr ? conv_bias[o] : 0.0) - running_mean[o]) * s);
  }
}

int ChannelBlocks(int64_t channels) {
  return static_cast<int>(channels < 65535 ? (channels > 0 ? channels : 1) : 65535);
}

}  // namespace

void BatchNorm2dTrainingForward(const float* x, const float* weight, const float* bias,
                                int64_t batch, int64_t channels, int64_t spatial, float momentum,
                                float eps, float* running_mean, float* running_var, float* y,
                                float* save_mean, float* save_inv_std) {
  if (channels == 0) return;
  TrainingForwardKernel<<<ChannelBlocks(channels), kThreadsPerBlock>>>(
      x, weight, bias, batch, channels, spatial, momentum, eps, running_mean, running_var, y,
      save_mean, save_inv_std);
  NN_CUDA_CHECK(cudaGetLastError());
}

void BatchNorm2dInferenceForward(const float* x, const float* weight, const float* bias,
                                 const float* running_mean, const float* running_var, int64_t batch,
                                 int64_t channels, int64_t spatial, float eps, float* y,
                                 float* save_mean, float* save_inv_std) {
  if (channels == 0) return;
  InferenceForwardKernel<<<ChannelBlocks(channels), kThreadsPerBlock>>>(
      x, weight, bias, running_mean, running_var, batch, channels, spatial, eps, y, save_mean,
      save_inv_std);
  NN_CUDA_CHECK(cudaGetLastError());
}

void BatchNorm2dBackward(const float* dy, const float* x, const float* weight, const float* mean,
                         const float* inv_std, int64_t batch, int64_t channels, int64_t spatial,
                         bool training, float* dx, float* dweight, float* dbias) {
  if (channels == 0) return;
  BackwardKernel<<<ChannelBlocks(channels), kThreadsPerBlock>>>(
      dy, x, weight, mean, inv_std, batch, channels, spatial, training, dx, dweight, dbias);
  NN_CUDA_CHECK(cudaGetLastError());
}

void FoldBatchNormIntoConv(const float* conv_weight, const float* conv_bias, int64_t out_channels,
                           int64_t weights_per_channel, const float* gamma, const float* beta,
                           const float* running_mean, const float* running_var, float eps,
                           float* folded_weight, float* folded_bias) {
  if (out_channels == 0) return;
  FoldIntoConvKernel<<<ChannelBlocks(out_channels), kThreadsPerBlock>>>(
      conv_weight, conv_bias, out_channels, weights_per_channel, gamma, beta, running_mean,
      running_var, eps, folded_weight, folded_bias);
  NN_CUDA_CHECK(cudaGetLastError());
}

void FoldBatchNormIntoScaleShift(const float* conv_bias, const float* gamma, const float* beta,
                                 const float* running_mean, const float* running_var,
                                 int64_t channels, float eps, float* scale, float* shift) {
  if (channels == 0) return;
  FoldIntoScaleShiftKernel<<<BlocksFor(channels), kThreadsPerBlock>>>(
      conv_bias, gamma, beta, running_mean, running_var, channels, eps, scale, shift);
  NN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace nn::cuda
