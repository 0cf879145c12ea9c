// Activations: argument checks (OpCheck) and device dispatch to the kernels in
// nn/cpu/activation.h or nn/cuda/activation.h.
#include "nn/ops/activation.h"

#include "nn/cpu/activation.h"
#include "nn/ops/internal/dispatch.h"
#include "nn/ops/internal/op_check.h"
#if NN_HAVE_CUDA
#include "nn/cuda/activation.h"
#endif

namespace nn {
namespace {

using ops_internal::Data;
using ops_internal::Dispatch;
using ops_internal::MutableData;
using ops_internal::OpCheck;

void CheckLastAxis(const OpCheck& check, const Tensor& x) {
  NN_CHECK(x.rank() >= 1) << check.op() << ": needs a class axis, got a scalar " << x.shape();
}

// Rows of the [rows, cols] view of `x` over its last axis.
int64_t Rows(const Tensor& x) {
  const int64_t cols = x.dim(-1);
  return cols > 0 ? x.numel() / cols : 0;
}

}  // namespace

void ReluForward(const Tensor& x, Tensor* y) {
  OpCheck check("ReluForward");
  check.Arg("input", x).Output("output", y, x.shape());
  Dispatch(check.op(), check.device(), &cpu::Relu, NN_CUDA_KERNEL(Relu), Data(x), MutableData(y),
           x.numel());
}

void ReluBackward(const Tensor& dy, const Tensor& mask, Tensor* dx) {
  OpCheck check("ReluBackward");
  check.Arg("output gradient", dy).Arg("mask", mask, dy.shape());
  if (dx == nullptr) return;
  check.Arg("input gradient", *dx, dy.shape());
  Dispatch(check.op(), check.device(), &cpu::ReluBackward, NN_CUDA_KERNEL(ReluBackward), Data(dy),
           Data(mask), MutableData(dx), dy.numel());
}

void ReluBackwardInPlace(const Tensor& mask, Tensor* grad) {
  OpCheck check("ReluBackwardInPlace");
  check.Arg("mask", mask).Output("gradient", grad, mask.shape());
  Dispatch(check.op(), check.device(), &cpu::ReluMaskInPlace, NN_CUDA_KERNEL(ReluMaskInPlace),
           Data(mask), MutableData(grad), grad->numel());
}

void SigmoidForward(const Tensor& x, Tensor* y) {
  OpCheck check("SigmoidForward");
  check.Arg("input", x).Output("output", y, x.shape());
  Dispatch(check.op(), check.device(), &cpu::Sigmoid, NN_CUDA_KERNEL(Sigmoid), Data(x),
           MutableData(y), x.numel());
}

void SigmoidBackward(const Tensor& dy, const Tensor& y, Tensor* dx) {
  OpCheck check("SigmoidBackward");
  check.Arg("output gradient", dy).Arg("output", y, dy.shape());
  if (dx == nullptr) return;
  check.Arg("input gradient", *dx, dy.shape());
  Dispatch(check.op(), check.device(), &cpu::SigmoidBackward, NN_CUDA_KERNEL(SigmoidBackward),
           Data(dy), Data(y), MutableData(dx), dy.numel());
}

void SoftmaxForward(const Tensor& x, Tensor* y) {
  OpCheck check("SoftmaxForward");
  check.Arg("input", x).Output("output", y, x.shape());
  CheckLastAxis(check, x);
  Dispatch(check.op(), check.device(), &cpu::Softmax, NN_CUDA_KERNEL(Softmax), Data(x),
           MutableData(y), Rows(x), x.dim(-1));
}

void SoftmaxBackward(const Tensor& dy, const Tensor& y, Tensor* dx) {
  OpCheck check("SoftmaxBackward");
  check.Arg("output gradient", dy).Arg("output", y, dy.shape());
  CheckLastAxis(check, y);
  if (dx == nullptr) return;
  check.Arg("input gradient", *dx, dy.shape());
  Dispatch(check.op(), check.device(), &cpu::SoftmaxBackward, NN_CUDA_KERNEL(SoftmaxBackward),
           Data(dy), Data(y), MutableData(dx), Rows(y), y.dim(-1));
}

void LogSoftmaxForward(const Tensor& x, Tensor* y) {
  OpCheck check("LogSoftmaxForward");
  check.Arg("input", x).Output("output", y, x.shape());
  CheckLastAxis(check, x);
  Dispatch(check.op(), check.device(), &cpu::LogSoftmax, NN_CUDA_KERNEL(LogSoftmax), Data(x),
           MutableData(y), Rows(x), x.dim(-1));
}

void LogSoftmaxBackward(const Tensor& dy, const Tensor& y, Tensor* dx) {
  OpCheck check("LogSoftmaxBackward");
  check.Arg("output gradient", dy).Arg("output", y, dy.shape());
  CheckLastAxis(check, y);
  if (dx == nullptr) return;
  check.Arg("input gradient", *dx, dy.shape());
  Dispatch(check.op(), check.device(), &cpu::LogSoftmaxBackward, NN_CUDA_KERNEL(LogSoftmaxBackward),
           Data(dy), Data(y), MutableData(dx), Rows(y), y.dim(-1));
}

}  // namespace nn
