// Dropout: argument checks (OpCheck) and device dispatch to the kernels in nn/cpu/dropout.h
// or nn/cuda/dropout.h (the same mask for a seed on either device).
#include "nn/ops/dropout.h"

#include "nn/cpu/dropout.h"
#include "nn/ops/internal/dispatch.h"
#include "nn/ops/internal/op_check.h"
#if NN_HAVE_CUDA
#include "nn/cuda/dropout.h"
#endif

namespace nn {

using ops_internal::Data;
using ops_internal::Dispatch;
using ops_internal::MutableData;
using ops_internal::OpCheck;

void DropoutForward(const Tensor& x, float p, bool training, uint64_t seed, Tensor* y,
                    Tensor* mask) {
  OpCheck check("DropoutForward");
  check.Arg("input", x).Output("output", y, x.shape());
  NN_CHECK(p >= 0.0f && p <= 1.0f) << check.op() << ": probability " << p << " is not in [0, 1]";
  if (mask != nullptr) {
    check.Arg("mask", *mask, x.shape());
    NN_CHECK(!mask->SharesStorageWith(x) && !mask->SharesStorageWith(*y))
        << check.op() << ": mask may not alias the input or output";
  }
  if (!training) {
    if (y->raw_data() != x.raw_data()) y->CopyFrom(x);
    // The mask of p = 0 is all ones (1 / (1 - 0)), on any device.
    if (mask != nullptr) {
      Dispatch(check.op(), check.device(), &cpu::DropoutMask, NN_CUDA_KERNEL(DropoutMask), seed,
               0.0f, MutableData(mask), x.numel());
    }
    return;
  }
  NN_CHECK(mask != nullptr) << check.op() << ": training mode needs a mask " << x.shape()
                            << " for the backward pass";
  Dispatch(check.op(), check.device(), &cpu::DropoutMask, NN_CUDA_KERNEL(DropoutMask), seed, p,
           MutableData(mask), x.numel());
  Dispatch(check.op(), check.device(), &cpu::DropoutApply, NN_CUDA_KERNEL(DropoutApply), Data(x),
           Data(*mask), MutableData(y), x.numel());
}

void DropoutBackward(const Tensor& dy, const Tensor& mask, Tensor* dx) {
  OpCheck check("DropoutBackward");
  check.Arg("output gradient", dy).Arg("mask", mask, dy.shape());
  if (dx == nullptr) return;
  check.Arg("input gradient", *dx, dy.shape());
  Dispatch(check.op(), check.device(), &cpu::DropoutBackward, NN_CUDA_KERNEL(DropoutBackward),
           Data(dy), Data(mask), MutableData(dx), dy.numel());
}

}  // namespace nn
