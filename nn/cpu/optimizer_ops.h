// CPU kernels of the optimizer ops on raw float arrays: the SGD and Adam/AdamW updates, the
// p-norm reduction and the in-place scale of gradient clipping. Called through the façade
// in nn/ops/optimizer_ops.h, which documents the math and rounds the scalars; a CUDA
// kernel of the same op takes the same arguments.
//
// Every element is updated on its own, split over base::ParallelFor for large arrays,
// so the updates compute the same bits for any thread count. The norm sums fixed blocks
// in double and adds the block sums in order: it too is independent of the thread count.
#ifndef NN_CPU_OPTIMIZER_OPS_H_
#define NN_CPU_OPTIMIZER_OPS_H_

#include <cstdint>

namespace nn::cpu {

// d = g (+ weight_decay * p when weight_decay != 0), then with a momentum buffer b (may be
// null: no momentum) b = first_step ? d : momentum * b + one_minus_dampening * d and
// d = nesterov ? d + momentum * b : b; finally p = p + neg_lr * d.
void SgdStep(const float* grad, float* param, float* momentum_buffer, int64_t n, float neg_lr,
             float weight_decay, float momentum, float one_minus_dampening, bool first_step,
             bool nesterov);

// g = grad (+ weight_decay * p when !decoupled and weight_decay != 0; p = p * decay_factor
// first when decoupled), m = beta1 * m + one_minus_beta1 * g,
// v = beta2 * v + one_minus_beta2 * g * g,
// p = p + neg_step_size * m / (sqrt(v) / bias_correction2_sqrt + eps).
void AdamStep(const float* grad, float* param, float* exp_avg, float* exp_avg_sq, int64_t n,
              float beta1, float beta2, float one_minus_beta1, float one_minus_beta2,
              float neg_step_size, float bias_correction2_sqrt, float eps, float weight_decay,
              float decay_factor, bool decoupled);

// ||x||_p over n elements (p > 0, or inf: the largest |x|, NaN if any is NaN), accumulated
// in double over fixed blocks of kNormBlock elements and rounded to float once.
float VectorNorm(const float* x, int64_t n, double p);
constexpr int64_t kNormBlock = int64_t{1} << 14;
// The norm from its blocks' results (sums of |x|^p, or maxima for p = inf), combined in
// block order: VectorNorm's last step, shared with the CUDA kernel.
float NormFromBlocks(const double* block_results, int64_t blocks, double p);

// x = x * factor.
void ScaleInPlace(float* x, int64_t n, float factor);

}  // namespace nn::cpu

#endif  // NN_CPU_OPTIMIZER_OPS_H_
