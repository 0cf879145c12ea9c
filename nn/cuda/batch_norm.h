// CUDA kernels for BatchNorm2d; same contracts as nn/cpu/batch_norm.h, on device pointers.
// Called through the façade in nn/ops/batch_norm.h.
#ifndef NN_CUDA_BATCH_NORM_H_
#define NN_CUDA_BATCH_NORM_H_

#include <cstdint>

namespace nn::cuda {

void BatchNorm2dTrainingForward(const float* x, const float* weight, const float* bias,
                                int64_t batch, int64_t channels, int64_t spatial, float momentum,
                                float eps, float* running_mean, float* running_var, float* y,
                                float* save_mean, float* save_inv_std);
void BatchNorm2dInferenceForward(const float* x, const float* weight, const float* bias,
                                 const float* running_mean, const float* running_var, int64_t batch,
                                 int64_t channels, int64_t spatial, float eps, float* y,
                                 float* save_mean, float* save_inv_std);
void BatchNorm2dBackward(const float* dy, const float* x, const float* weight, const float* mean,
                         const float* inv_std, int64_t batch, int64_t channels, int64_t spatial,
                         bool training, float* dx, float* dweight, float* dbias);
void FoldBatchNormIntoConv(const float* conv_weight, const float* conv_bias, int64_t out_channels,
                           int64_t weights_per_channel, const float* gamma, const float* beta,
                           const float* running_mean, const float* running_var, float eps,
                           float* folded_weight, float* folded_bias);
void FoldBatchNormIntoScaleShift(const float* conv_bias, const float* gamma, const float* beta,
                                 const float* running_mean, const float* running_var,
                                 int64_t channels, float eps, float* scale, float* shift);

}  // namespace nn::cuda

#endif  // NN_CUDA_BATCH_NORM_H_
