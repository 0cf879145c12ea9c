// Optimizer ops: argument checks, the scalars rounded to float once, and dispatch to
// nn/cpu/optimizer_ops.h or nn/cuda/optimizer_ops.h. Built with -ffp-contract=off, so that the
// double scalar expressions round exactly as written.
#include "nn/ops/optimizer_ops.h"

#include <cmath>

#include "nn/check.h"
#include "nn/cpu/optimizer_ops.h"
#include "nn/ops/internal/dispatch.h"
#include "nn/ops/internal/op_check.h"
#if NN_HAVE_CUDA
#include "nn/cuda/optimizer_ops.h"
#endif

namespace nn {

using ops_internal::Data;
using ops_internal::Dispatch;
using ops_internal::MutableData;
using ops_internal::MutableDataOrNull;
using ops_internal::OpCheck;

void SgdStep(const Tensor& grad, const SgdStepOptions& options, Tensor* param,
             Tensor* momentum_buffer) {
  OpCheck check("SgdStep");
  check.Arg("gradient", grad).Output("parameter", param, grad.shape());
  const bool has_momentum = options.momentum != 0;
  NN_CHECK(has_momentum == (momentum_buffer != nullptr))
      << "SgdStep: momentum " << options.momentum
      << (has_momentum ? " needs a momentum buffer" : " takes no momentum buffer");
  check.Optional("momentum buffer", momentum_buffer, grad.shape());
  NN_CHECK(!options.nesterov || (has_momentum && options.dampening == 0))
      << "SgdStep: Nesterov momentum requires a momentum and zero dampening (momentum "
      << options.momentum << ", dampening " << options.dampening << ")";
  Dispatch(check.op(), check.device(), &cpu::SgdStep, NN_CUDA_KERNEL(SgdStep), Data(grad),
           MutableData(param), MutableDataOrNull(momentum_buffer), grad.numel(),
           static_cast<float>(-options.lr), static_cast<float>(options.weight_decay),
           static_cast<float>(options.momentum), static_cast<float>(1 - options.dampening),
           options.first_step, options.nesterov);
}

void AdamStep(const Tensor& grad, const AdamStepOptions& options, Tensor* param, Tensor* exp_avg,
              Tensor* exp_avg_sq) {
  OpCheck check("AdamStep");
  check.Arg("gradient", grad)
      .Output("parameter", param, grad.shape())
      .Output("exp_avg", exp_avg, grad.shape())
      .Output("exp_avg_sq", exp_avg_sq, grad.shape());
  NN_CHECK(options.bias_correction1 > 0 && options.bias_correction1 <= 1 &&
           options.bias_correction2 > 0 && options.bias_correction2 <= 1)
      << "AdamStep: bias corrections must be in (0, 1], are " << options.bias_correction1 << " and "
      << options.bias_correction2;
  const double lr = options.lr;
  Dispatch(check.op(), check.device(), &cpu::AdamStep, NN_CUDA_KERNEL(AdamStep), Data(grad),
           MutableData(param), MutableData(exp_avg), MutableData(exp_avg_sq), grad.numel(),
           static_cast<float>(options.beta1), static_cast<float>(options.beta2),
           static_cast<float>(1 - options.beta1), static_cast<float>(1 - options.beta2),
           static_cast<float>(-(lr / options.bias_correction1)),
           static_cast<float>(std::sqrt(options.bias_correction2)), static_cast<float>(options.eps),
           static_cast<float>(options.weight_decay),
           static_cast<float>(1 - lr * options.weight_decay), options.decoupled_weight_decay);
}

float VectorNorm(const Tensor& x, double norm_type) {
  OpCheck check("VectorNorm");
  check.Arg("input", x);
  NN_CHECK(norm_type > 0) << "VectorNorm: norm_type must be positive or inf, is " << norm_type;
  return Dispatch(check.op(), check.device(), &cpu::VectorNorm, NN_CUDA_KERNEL(VectorNorm), Data(x),
                  x.numel(), norm_type);
}

void ScaleInPlace(float factor, Tensor* x) {
  NN_CHECK(x != nullptr) << "ScaleInPlace: input is null";
  OpCheck check("ScaleInPlace");
  check.Arg("input", *x);
  Dispatch(check.op(), check.device(), &cpu::ScaleInPlace, NN_CUDA_KERNEL(ScaleInPlace),
           MutableData(x), x->numel(), factor);
}

}  // namespace nn
