// CUDA kernels of the optimizer ops; same contracts as nn/cpu/optimizer_ops.h, on device
// pointers (the norm returns its value to the host). Called through the façade in
// nn/ops/optimizer_ops.h, so parameters, gradients and optimizer state stay on the GPU.
#ifndef NN_CUDA_OPTIMIZER_OPS_H_
#define NN_CUDA_OPTIMIZER_OPS_H_

#include <cstdint>

namespace nn::cuda {

void SgdStep(const float* grad, float* param, float* momentum_buffer, int64_t n, float neg_lr,
             float weight_decay, float momentum, float one_minus_dampening, bool first_step,
             bool nesterov);
void AdamStep(const float* grad, float* param, float* exp_avg, float* exp_avg_sq, int64_t n,
              float beta1, float beta2, float one_minus_beta1, float one_minus_beta2,
              float neg_step_size, float bias_correction2_sqrt, float eps, float weight_decay,
              float decay_factor, bool decoupled);
float VectorNorm(const float* x, int64_t n, double p);
void ScaleInPlace(float* x, int64_t n, float factor);

}  // namespace nn::cuda

#endif  // NN_CUDA_OPTIMIZER_OPS_H_
