// The cuBLAS handle of the current device (for .cu files only): created on first use per
// device, kept for the process, on the legacy default stream like every kernel here, so
// cuBLAS calls order with the kernels and copies around them.
#ifndef NN_CUDA_CUBLAS_HANDLE_H_
#define NN_CUDA_CUBLAS_HANDLE_H_

#include <cublas_v2.h>

#include "nn/check.h"

namespace nn::cuda {

cublasHandle_t CublasHandle();

#define NN_CUBLAS_CHECK(call)                                                \
  do {                                                                       \
    const cublasStatus_t nn_cublas_status_ = (call);                         \
    NN_CHECK(nn_cublas_status_ == CUBLAS_STATUS_SUCCESS)                     \
        << #call << " -> " << cublasGetStatusName(nn_cublas_status_) << ": " \
        << cublasGetStatusString(nn_cublas_status_);                         \
  } while (0)

}  // namespace nn::cuda

#endif  // NN_CUDA_CUBLAS_HANDLE_H_
