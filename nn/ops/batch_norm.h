// BatchNorm2d on NCHW tensors, training and eval mode, PyTorch 1.13 semantics, and folding
// an eval-mode BatchNorm into the convolution before it (contract: nn/ops/README.md).
#ifndef NN_OPS_BATCH_NORM_H_
#define NN_OPS_BATCH_NORM_H_

#include "nn/tensor.h"

namespace nn {

struct BatchNormOptions {
  bool training = true;
  // running = (1 - momentum) * running + momentum * batch statistic (PyTorch's convention).
  float momentum = 0.1f;
  float eps = 1e-5f;
};

// What BatchNorm2dBackward needs from the forward pass.
struct BatchNormCache {
  Tensor mean;     // [C]: the batch mean (training) or running_mean (eval)
  Tensor inv_std;  // [C]: 1 / sqrt(var + eps), var the biased batch variance or running_var
  bool training = false;
};

// x, y: [N, C, H, W]; weight (gamma), bias (beta), running_mean, running_var: [C]. A null
// weight/bias means no affine transform (gamma = 1, beta = 0).
//   y = (x - mean) / sqrt(var + eps) * gamma + beta
// Training: mean and the biased variance var are taken over (N, H, W) of the batch
// (N*H*W > 1 required), and running stats, when given (both or neither), are updated in
// place with the unbiased variance var * M / (M - 1), M = N*H*W. Eval: mean/var are the
// running statistics (required). Returns the cache for the backward pass.
BatchNormCache BatchNorm2dForward(const Tensor& x, const Tensor* weight, const Tensor* bias,
                                  Tensor* running_mean, Tensor* running_var,
                                  const BatchNormOptions& options, Tensor* y);

// Accumulates gradients (each may be null). With x_hat = (x - mean) * inv_std, per channel
// over the M = N*H*W positions:
//   dbias   += sum dy
//   dweight += sum dy * x_hat
//   training: dx += gamma * inv_std / M * (M * dy - sum dy - x_hat * sum(dy * x_hat))
//   eval:     dx += gamma * inv_std * dy
// `x` and `weight` are the forward's inputs, `cache` its result.
void BatchNorm2dBackward(const Tensor& dy, const Tensor& x, const Tensor* weight,
                         const BatchNormCache& cache, Tensor* dx, Tensor* dweight, Tensor* dbias);

// Folds an eval-mode BatchNorm over the output channels of a convolution into its weights:
// conv_weight [Cout, Cin/groups, KH, KW], conv_bias [Cout] or null, BN parameters [Cout]
// (bn_weight/bn_bias may be null). Writes, with s = gamma / sqrt(running_var + eps),
//   folded_weight[o] = conv_weight[o] * s[o]                 (shape of conv_weight)
//   folded_bias[o]   = (conv_bias[o] - running_mean[o]) * s[o] + beta[o]        ([Cout])
// so conv(x, folded_weight) + folded_bias == BN(conv(x, conv_weight) + conv_bias) in eval
// mode. The outputs may alias conv_weight / conv_bias (in-place folding).
void FoldBatchNormIntoConv(const Tensor& conv_weight, const Tensor* conv_bias,
                           const Tensor* bn_weight, const Tensor* bn_bias,
                           const Tensor& running_mean, const Tensor& running_var, float eps,
                           Tensor* folded_weight, Tensor* folded_bias);

// The same fold into a convolution's epilogue instead of its weights (no folded copy of
// the weights is made): per output channel o, with s[o] = gamma[o] / sqrt(running_var[o] +
// eps) computed in double,
//   scale[o] = float(s[o])
//   shift[o] = float(beta[o] + (conv_bias[o] - running_mean[o]) * s[o])
// so conv(x, conv_weight) * scale + shift == BN(conv(x, conv_weight) + conv_bias) in eval
// mode: Conv2dForward with bias = shift and Conv2dEpilogue::scale = scale. All tensors
// [Cout]; conv_bias, bn_weight, bn_bias may be null (0, 1, 0).
void FoldBatchNormIntoScaleShift(const Tensor* conv_bias, const Tensor* bn_weight,
                                 const Tensor* bn_bias, const Tensor& running_mean,
                                 const Tensor& running_var, float eps, Tensor* scale,
                                 Tensor* shift);

}  // namespace nn

#endif  // NN_OPS_BATCH_NORM_H_
