// One cuBLAS handle per device, created on first use.
#include <cuda_runtime.h>

#include <mutex>
#include <vector>

#include "nn/cuda/cublas_handle.h"
#include "nn/cuda/cuda_check.h"

namespace nn::cuda {

cublasHandle_t CublasHandle() {
  static std::mutex mutex;
  static std::vector<cublasHandle_t> handles;
  int device = 0;
  NN_CUDA_CHECK(cudaGetDevice(&device));
  std::lock_guard<std::mutex> lock(mutex);
  if (static_cast<int>(handles.size()) <= device) handles.resize(device + 1, nullptr);
  if (handles[device] == nullptr) {
    NN_CUBLAS_CHECK(cublasCreate(&handles[device]));
    // Plain FP32 (no TF32 tensor cores), so results stay within float32 tolerance of the CPU.
    NN_CUBLAS_CHECK(cublasSetMathMode(handles[device], CUBLAS_PEDANTIC_MATH));
  }
  return handles[device];
}

}  // namespace nn::cuda
