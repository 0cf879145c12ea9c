// Dropout: argument checks and dispatch to the CPU kernels in nn/cpu/dropout.h.
#include "nn/ops/dropout.h"

#include "nn/cpu/dropout.h"

namespace nn {
namespace {

void CheckTensor(const char* op, const char* what, const Tensor& t, const Shape& shape) {
  NN_CHECK(t.defined()) << op << ": " << what << " is undefined";
  NN_CHECK(t.dtype() == DType::kFloat32 && t.device().is_cpu())
      << op << ": " << what << " must be float32 on the CPU (only a CPU kernel exists), got " << t;
  NN_CHECK(t.shape() == shape) << op << ": " << what << " " << t.shape() << ", expected " << shape;
}

}  // namespace

void DropoutForward(const Tensor& x, float p, bool training, uint64_t seed, Tensor* y,
                    Tensor* mask) {
  constexpr const char* kOp = "DropoutForward";
  CheckTensor(kOp, "input", x, x.shape());
  NN_CHECK(y != nullptr) << kOp << ": output is null";
  CheckTensor(kOp, "output", *y, x.shape());
  NN_CHECK(p >= 0.0f && p <= 1.0f) << kOp << ": probability " << p << " is not in [0, 1]";
  if (mask != nullptr) {
    CheckTensor(kOp, "mask", *mask, x.shape());
    NN_CHECK(!mask->SharesStorageWith(x) && !mask->SharesStorageWith(*y))
        << kOp << ": mask may not alias the input or output";
  }
  if (!training) {
    if (y->raw_data() != x.raw_data()) y->CopyFrom(x);
    if (mask != nullptr) mask->Fill(1.0f);
    return;
  }
  NN_CHECK(mask != nullptr) << kOp << ": training mode needs a mask " << x.shape()
                            << " for the backward pass";
  cpu::DropoutMask(seed, p, mask->data<float>(), x.numel());
  cpu::DropoutApply(x.data<float>(), mask->data<float>(), y->data<float>(), x.numel());
}

void DropoutBackward(const Tensor& dy, const Tensor& mask, Tensor* dx) {
  constexpr const char* kOp = "DropoutBackward";
  CheckTensor(kOp, "output gradient", dy, dy.shape());
  CheckTensor(kOp, "mask", mask, dy.shape());
  if (dx == nullptr) return;
  CheckTensor(kOp, "input gradient", *dx, dy.shape());
  cpu::DropoutBackward(dy.data<float>(), mask.data<float>(), dx->data<float>(), dy.numel());
}

}  // namespace nn
