// NN_CUDA_CHECK(call): a CUDA runtime call that must succeed; on failure prints the call,
// file:line and CUDA's error string, then aborts. For .cu files only.
#ifndef NN_CUDA_CUDA_CHECK_H_
#define NN_CUDA_CUDA_CHECK_H_

#include <cuda_runtime.h>

#include "nn/check.h"

#define NN_CUDA_CHECK(call)                                             \
  do {                                                                  \
    const cudaError_t nn_cuda_status_ = (call);                         \
    NN_CHECK(nn_cuda_status_ == cudaSuccess)                            \
        << #call << " -> " << cudaGetErrorName(nn_cuda_status_) << ": " \
        << cudaGetErrorString(nn_cuda_status_);                         \
  } while (0)

#endif  // NN_CUDA_CUDA_CHECK_H_
