// Device dispatch for ops: every op in nn/ops/ calls its kernel through Dispatch(), which
// picks the CPU or CUDA kernel by the device of the op's tensors, and fails with a message
// naming the op and the device when no kernel exists for that device (in the spirit of
// PyTorch's DispatchStub and dlib's tensor_tools.h).
//
//   Dispatch("AddForward", device, &cpu::Add, NN_CUDA_KERNEL(Add), a_ptr, b_ptr, out_ptr, n);
//
// CPU and CUDA kernels of one op have the same signature (raw pointers and sizes), so the
// kernel table is a pair of function pointers. NN_CUDA_KERNEL(name) is &nn::cuda::name in a
// --config=cuda build and nullptr otherwise (include the CUDA kernel's header under
// `#if NN_HAVE_CUDA`). Ops that have no CUDA kernel yet pass nullptr.
#ifndef NN_OPS_INTERNAL_DISPATCH_H_
#define NN_OPS_INTERNAL_DISPATCH_H_

#include "nn/check.h"
#include "nn/tensor.h"

#if NN_HAVE_CUDA
#define NN_CUDA_KERNEL(name) (&::nn::cuda::name)
#else
#define NN_CUDA_KERNEL(name) nullptr
#endif

namespace nn::ops_internal {

// Stops template deduction on a parameter: the kernel signature comes from the CPU kernel.
template <typename T>
struct NonDeduced {
  using type = T;
};

// Runs the kernel for `device` with `args`. The CPU kernel fixes the signature; the CUDA
// kernel (or nullptr) must have the same one.
template <typename R, typename... A>
R Dispatch(const char* op, Device device, R (*cpu_kernel)(A...),
           typename NonDeduced<R (*)(A...)>::type cuda_kernel,
           typename NonDeduced<A>::type... args) {
  switch (device.type) {
    case DeviceType::kCPU:
      NN_CHECK(cpu_kernel != nullptr) << op << ": no kernel for " << device;
      return cpu_kernel(args...);
    case DeviceType::kCUDA:
      NN_CHECK(cuda_kernel != nullptr)
          << op << ": no kernel for " << device
#if NN_HAVE_CUDA
          << " (this op has no CUDA kernel yet)";
#else
          << " (this build has no CUDA backend: build with --config=cuda)";
#endif
      return cuda_kernel(args...);
  }
  NN_CHECK(false) << op << ": unknown device " << device;
  return cpu_kernel(args...);  // not reached
}

}  // namespace nn::ops_internal

#endif  // NN_OPS_INTERNAL_DISPATCH_H_
