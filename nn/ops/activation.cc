// Activations: argument checks and dispatch to the CPU kernels in nn/cpu/activation.h.
#include "nn/ops/activation.h"

#include "nn/cpu/activation.h"

namespace nn {
namespace {

void CheckCpuFloat(const char* op, const char* what, const Tensor& t) {
  NN_CHECK(t.defined()) << op << ": " << what << " is undefined";
  NN_CHECK(t.dtype() == DType::kFloat32 && t.device().is_cpu())
      << op << ": " << what << " must be float32 on the CPU (only a CPU kernel exists), got " << t;
}

// `a` and `b` are float32 CPU tensors of one shape.
void CheckSameShape(const char* op, const char* what_a, const Tensor& a, const char* what_b,
                    const Tensor* b) {
  NN_CHECK(b != nullptr) << op << ": " << what_b << " is null";
  CheckCpuFloat(op, what_a, a);
  CheckCpuFloat(op, what_b, *b);
  NN_CHECK(a.shape() == b->shape())
      << op << ": " << what_a << " " << a.shape() << " vs " << what_b << " " << b->shape();
}

void CheckLastAxis(const char* op, const Tensor& x) {
  NN_CHECK(x.rank() >= 1) << op << ": needs a class axis, got a scalar " << x.shape();
}

}  // namespace

void ReluForward(const Tensor& x, Tensor* y) {
  CheckSameShape("ReluForward", "input", x, "output", y);
  cpu::Relu(x.data<float>(), y->data<float>(), x.numel());
}

void ReluBackward(const Tensor& dy, const Tensor& mask, Tensor* dx) {
  CheckSameShape("ReluBackward", "output gradient", dy, "mask", &mask);
  if (dx == nullptr) return;
  CheckSameShape("ReluBackward", "output gradient", dy, "input gradient", dx);
  cpu::ReluBackward(dy.data<float>(), mask.data<float>(), dx->data<float>(), dy.numel());
}

void ReluBackwardInPlace(const Tensor& mask, Tensor* grad) {
  CheckSameShape("ReluBackwardInPlace", "mask", mask, "gradient", grad);
  cpu::ReluMaskInPlace(mask.data<float>(), grad->data<float>(), grad->numel());
}

void SigmoidForward(const Tensor& x, Tensor* y) {
  CheckSameShape("SigmoidForward", "input", x, "output", y);
  cpu::Sigmoid(x.data<float>(), y->data<float>(), x.numel());
}

void SigmoidBackward(const Tensor& dy, const Tensor& y, Tensor* dx) {
  CheckSameShape("SigmoidBackward", "output gradient", dy, "output", &y);
  if (dx == nullptr) return;
  CheckSameShape("SigmoidBackward", "output gradient", dy, "input gradient", dx);
  cpu::SigmoidBackward(dy.data<float>(), y.data<float>(), dx->data<float>(), dy.numel());
}

void SoftmaxForward(const Tensor& x, Tensor* y) {
  CheckSameShape("SoftmaxForward", "input", x, "output", y);
  CheckLastAxis("SoftmaxForward", x);
  const int64_t cols = x.dim(-1);
  cpu::Softmax(x.data<float>(), y->data<float>(), cols > 0 ? x.numel() / cols : 0, cols);
}

void SoftmaxBackward(const Tensor& dy, const Tensor& y, Tensor* dx) {
  CheckSameShape("SoftmaxBackward", "output gradient", dy, "output", &y);
  CheckLastAxis("SoftmaxBackward", y);
  if (dx == nullptr) return;
  CheckSameShape("SoftmaxBackward", "output gradient", dy, "input gradient", dx);
  const int64_t cols = y.dim(-1);
  cpu::SoftmaxBackward(dy.data<float>(), y.data<float>(), dx->data<float>(),
                       cols > 0 ? y.numel() / cols : 0, cols);
}

void LogSoftmaxForward(const Tensor& x, Tensor* y) {
  CheckSameShape("LogSoftmaxForward", "input", x, "output", y);
  CheckLastAxis("LogSoftmaxForward", x);
  const int64_t cols = x.dim(-1);
  cpu::LogSoftmax(x.data<float>(), y->data<float>(), cols > 0 ? x.numel() / cols : 0, cols);
}

void LogSoftmaxBackward(const Tensor& dy, const Tensor& y, Tensor* dx) {
  CheckSameShape("LogSoftmaxBackward", "output gradient", dy, "output", &y);
  CheckLastAxis("LogSoftmaxBackward", y);
  if (dx == nullptr) return;
  CheckSameShape("LogSoftmaxBackward", "output gradient", dy, "input gradient", dx);
  const int64_t cols = y.dim(-1);
  cpu::LogSoftmaxBackward(dy.data<float>(), y.data<float>(), dx->data<float>(),
                          cols > 0 ? y.numel() / cols : 0, cols);
}

}  // namespace nn
