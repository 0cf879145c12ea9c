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
//
// Tests ask whether an op runs on a device without dying through MissingKernelRecorder
// (nn/testing/op_case.h uses it to skip, with the reason, the cases a device cannot run).
#ifndef NN_OPS_INTERNAL_DISPATCH_H_
#define NN_OPS_INTERNAL_DISPATCH_H_

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "nn/check.h"
#include "nn/tensor.h"

#if NN_HAVE_CUDA
#define NN_CUDA_KERNEL(name) (&::nn::cuda::name)
#else
#define NN_CUDA_KERNEL(name) nullptr
#endif

namespace nn::ops_internal {

// Why a CUDA kernel can be missing, for the failure message.
#if NN_HAVE_CUDA
inline constexpr const char* kNoCudaKernelReason = "this op has no CUDA kernel yet";
#else
inline constexpr const char* kNoCudaKernelReason =
    "this build has no CUDA backend: build with --config=cuda";
#endif

// Stops template deduction on a parameter: the kernel signature comes from the CPU kernel.
template <typename T>
struct NonDeduced {
  using type = T;
};

// For tests only. While a recorder is alive, a call to a missing kernel is recorded and
// skipped (returning a value-initialized result: the op's outputs are then meaningless)
// instead of failing. Process-wide, so that it covers the pool threads an op runs kernels
// on; one recorder at a time, and no ops from other threads meanwhile.
class MissingKernelRecorder {
 public:
  MissingKernelRecorder() {
    MissingKernelRecorder* expected = nullptr;
    NN_CHECK(active_.compare_exchange_strong(expected, this))
        << "MissingKernelRecorder: another recorder is active";
  }
  ~MissingKernelRecorder() { active_.store(nullptr); }
  MissingKernelRecorder(const MissingKernelRecorder&) = delete;
  MissingKernelRecorder& operator=(const MissingKernelRecorder&) = delete;

  // "LinearForward on cuda:0", once each, in the order first seen.
  std::vector<std::string> missing() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return missing_;
  }

  // True (and recorded) when a recorder is active; false: the caller fails.
  static bool Record(const char* op, Device device) {
    MissingKernelRecorder* recorder = active_.load();
    if (recorder == nullptr) return false;
    const std::string entry = std::string(op) + " on " + device.ToString();
    std::lock_guard<std::mutex> lock(recorder->mutex_);
    std::vector<std::string>& missing = recorder->missing_;
    if (std::find(missing.begin(), missing.end(), entry) == missing.end()) missing.push_back(entry);
    return true;
  }

 private:
  static inline std::atomic<MissingKernelRecorder*> active_{nullptr};
  mutable std::mutex mutex_;
  std::vector<std::string> missing_;
};

// Runs the kernel for `device` with `args`. The CPU kernel fixes the signature; the CUDA
// kernel (or nullptr) must have the same one.
template <typename R, typename... A>
R Dispatch(const char* op, Device device, R (*cpu_kernel)(A...),
           typename NonDeduced<R (*)(A...)>::type cuda_kernel,
           typename NonDeduced<A>::type... args) {
  switch (device.type) {
    case DeviceType::kCPU:
      if (cpu_kernel == nullptr && MissingKernelRecorder::Record(op, device)) return R();
      NN_CHECK(cpu_kernel != nullptr) << op << ": no kernel for " << device;
      return cpu_kernel(args...);
    case DeviceType::kCUDA:
      if (cuda_kernel == nullptr && MissingKernelRecorder::Record(op, device)) return R();
      NN_CHECK(cuda_kernel != nullptr)
          << op << ": no kernel for " << device << " (" << kNoCudaKernelReason << ")";
      return cuda_kernel(args...);
  }
  NN_CHECK(false) << op << ": unknown device " << device;
  return cpu_kernel(args...);  // not reached
}

}  // namespace nn::ops_internal

#endif  // NN_OPS_INTERNAL_DISPATCH_H_
