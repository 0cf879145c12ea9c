// Optimizer ops: the in-place parameter updates of SGD and Adam/AdamW, and the norm
// reduction and scale of gradient clipping (contract: nn/ops/README.md). The optimizers in
// nn/optim/ compute their scalars (step sizes, bias corrections) on the host and call
// these ops, so an optimizer runs on any device that has the kernels.
//
// Numerics are PyTorch 1.13.1's single-tensor CPU implementations in float32: the double
// hyperparameters below are combined in double, as Python does, and rounded to float once;
// fused multiply-adds happen exactly where ATen's vectorized kernels fuse (add with
// alpha, written fma(...) below), nowhere else. Every element is updated independently, so
// results do not depend on the thread count.
//
// These ops have no backward: an update is not differentiated through, so they have no
// gradient check (nn/ops/optimizer_ops_test.cc checks them against a double reference).
#ifndef NN_OPS_OPTIMIZER_OPS_H_
#define NN_OPS_OPTIMIZER_OPS_H_

#include "nn/tensor.h"

namespace nn {

struct SgdStepOptions {
  double lr = 0;
  double momentum = 0;      // mu; a momentum buffer is given exactly when mu != 0
  double dampening = 0;     // tau
  double weight_decay = 0;  // wd: L2, added to the gradient
  bool nesterov = false;
  bool first_step = false;  // the buffer starts as d (no momentum, no dampening)
};

// torch.optim.SGD (maximize=False), per element, with g = grad, p = param, b = buffer:
//   d = fma(p, wd, g)                          (only when wd != 0)
//   b = d                                      (first step)
//   b = fma(d, 1 - tau, b * mu)                (afterwards)
//   d = nesterov ? fma(b, mu, d) : b           (only with a buffer)
//   p = fma(d, -lr, p)
// grad, param and momentum_buffer have one shape and one device; momentum_buffer is null
// exactly when momentum == 0.
void SgdStep(const Tensor& grad, const SgdStepOptions& options, Tensor* param,
             Tensor* momentum_buffer);

struct AdamStepOptions {
  double lr = 0;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;              // wd
  bool decoupled_weight_decay = false;  // AdamW: decay the parameter, not the gradient
  // 1 - beta^t for the step count t >= 1 (this step included), computed by the caller.
  double bias_correction1 = 1;
  double bias_correction2 = 1;
};

// torch.optim.Adam / AdamW (amsgrad=False, maximize=False), per element, with g = grad,
// p = param, m = exp_avg, v = exp_avg_sq, bc1/bc2 the bias corrections:
//   p = p * (1 - lr * wd)                      (AdamW: decoupled; always applied)
//   g = fma(p, wd, g)                          (Adam: L2, only when wd != 0)
//   m = fma(g, 1 - beta1, m * beta1)
//   v = v * beta2 + (1 - beta2) * g * g
//   p = p + (-lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps)
// All four tensors have one shape and one device.
void AdamStep(const Tensor& grad, const AdamStepOptions& options, Tensor* param, Tensor* exp_avg,
              Tensor* exp_avg_sq);

// ||x||_p over all elements of x, rounded to float (torch.norm of one gradient):
//   (sum |x_i|^p)^(1/p), with p = inf the largest |x_i| (NaN if any x_i is NaN).
// Sums run in double over fixed blocks, added in order: the result does not depend on the
// thread count. norm_type > 0 or inf. Returns 0 for an empty tensor.
float VectorNorm(const Tensor& x, double norm_type);

// x = x * factor, elementwise in float (the scaling step of clip_grad_norm_).
void ScaleInPlace(float factor, Tensor* x);

}  // namespace nn

#endif  // NN_OPS_OPTIMIZER_OPS_H_
