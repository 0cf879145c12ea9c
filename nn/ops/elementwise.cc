// Device dispatch for elementwise ops.
#include "nn/ops/elementwise.h"

#include "nn/cpu/elementwise.h"
#if NN_HAVE_CUDA
#include "nn/cuda/elementwise.h"
#endif

namespace nn {
namespace {

void CheckSameLayout(const char* op, const Tensor& x, const Tensor& y) {
  NN_CHECK(x.shape() == y.shape() && x.device() == y.device() && x.dtype() == DType::kFloat32 &&
           y.dtype() == DType::kFloat32)
      << op << ": " << x << " vs " << y;
}

// Runs `cpu_kernel` or `cuda_kernel` with the same arguments, by device.
template <typename... Args>
void Dispatch(Device device, void (*cpu_kernel)(Args...), void (*cuda_kernel)(Args...),
              Args... args) {
  if (device.is_cpu()) {
    cpu_kernel(args...);
    return;
  }
  NN_CHECK(cuda_kernel != nullptr) << device << " op needs --config=cuda";
  cuda_kernel(args...);
}

#if NN_HAVE_CUDA
constexpr auto kCudaAdd = &cuda::Add;
constexpr auto kCudaAccumulate = &cuda::Accumulate;
#else
constexpr decltype(&cpu::Add) kCudaAdd = nullptr;
constexpr decltype(&cpu::Accumulate) kCudaAccumulate = nullptr;
#endif

}  // namespace

void AddForward(const Tensor& a, const Tensor& b, Tensor* out) {
  CheckSameLayout("AddForward", a, b);
  CheckSameLayout("AddForward", a, *out);
  Dispatch(a.device(), &cpu::Add, kCudaAdd, static_cast<const float*>(a.raw_data()),
           static_cast<const float*>(b.raw_data()), static_cast<float*>(out->raw_data()),
           a.numel());
}

void AddBackward(const Tensor& dout, Tensor* da, Tensor* db) {
  for (Tensor* grad : {da, db}) {
    if (grad == nullptr) continue;
    CheckSameLayout("AddBackward", dout, *grad);
    Dispatch(dout.device(), &cpu::Accumulate, kCudaAccumulate,
             static_cast<const float*>(dout.raw_data()), static_cast<float*>(grad->raw_data()),
             dout.numel());
  }
}

}  // namespace nn
