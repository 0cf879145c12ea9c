// CPU kernels for BatchNorm2d on raw float arrays (NCHW viewed as [N, C, HW]), parallel
// over channels; called through the façade in nn/ops/batch_norm.h.
#ifndef NN_CPU_BATCH_NORM_H_
#define NN_CPU_BATCH_NORM_H_

#include <cstdint>

namespace nn::cpu {

// Training mode: per channel c, over the M = N*HW values, mean[c] and the biased variance
// var[c]; writes y = (x - mean) * inv_std * weight + bias, save_mean[c] = mean[c],
// save_inv_std[c] = 1 / sqrt(var[c] + eps). When running_mean/running_var are non-null they
// become (1 - momentum) * running + momentum * batch, with the unbiased variance
// var * M / (M - 1). weight (bias) may be null, meaning 1 (0). Requires M > 1.
void BatchNorm2dTrainingForward(const float* x, const float* weight, const float* bias,
                                int64_t batch, int64_t channels, int64_t spatial, float momentum,
                                float eps, float* running_mean, float* running_var, float* y,
                                float* save_mean, float* save_inv_std);

// Eval mode: normalizes with the running statistics; save_mean = running_mean and
// save_inv_std = 1 / sqrt(running_var + eps), for the backward pass.
void BatchNorm2dInferenceForward(const float* x, const float* weight, const float* bias,
                                 const float* running_mean, const float* running_var, int64_t batch,
                                 int64_t channels, int64_t spatial, float eps, float* y,
                                 float* save_mean, float* save_inv_std);

// Accumulates dx, dweight, dbias (each may be null). `mean`/`inv_std` are what forward
// saved; `training` selects the gradient through the batch statistics.
void BatchNorm2dBackward(const float* dy, const float* x, const float* weight, const float* mean,
                         const float* inv_std, int64_t batch, int64_t channels, int64_t spatial,
                         bool training, float* dx, float* dweight, float* dbias);

// Folds eval-mode BatchNorm into the preceding convolution: for output channel o,
// s = gamma[o] / sqrt(var[o] + eps), w'[o, :] = w[o, :] * s and
// b'[o] = (b[o] - mean[o]) * s + beta[o]. conv_bias, gamma, beta may be null (0, 1, 0).
// `folded_weight` may alias `conv_weight`, `folded_bias` may alias `conv_bias`.
void FoldBatchNormIntoConv(const float* conv_weight, const float* conv_bias, int64_t out_channels,
                           int64_t weights_per_channel, const float* gamma, const float* beta,
                           const float* running_mean, const float* running_var, float eps,
                           float* folded_weight, float* folded_bias);

// The epilogue form of the fold (the convolution's weights stay as they are): for channel
// o, s = gamma[o] / sqrt(var[o] + eps) in double, scale[o] = float(s) and
// shift[o] = float(beta[o] + (b[o] - mean[o]) * s). conv_bias, gamma, beta may be null
// (0, 1, 0).
void FoldBatchNormIntoScaleShift(const float* conv_bias, const float* gamma, const float* beta,
                                 const float* running_mean, const float* running_var,
                                 int64_t channels, float eps, float* scale, float* shift);

}  // namespace nn::cpu

#endif  // NN_CPU_BATCH_NORM_H_
