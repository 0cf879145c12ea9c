// The cuDNN handle of the current device (for .cu files only): created on first use per
// device, on the legacy default stream like every kernel here; and a per-device workspace
// that grows to the largest size asked for (bounded by kMaxCudnnWorkspace).
#ifndef NN_CUDA_CUDNN_HANDLE_H_
#define NN_CUDA_CUDNN_HANDLE_H_

#include <cudnn.h>

#include <cstddef>
#include <mutex>

#include "nn/check.h"

namespace nn::cuda {

constexpr size_t kMaxCudnnWorkspace = size_t{512} << 20;

cudnnHandle_t CudnnHandle();

// The current device's workspace of at least `bytes` (<= kMaxCudnnWorkspace), valid while
// `lock` (taken here) is held: hold it across the cuDNN call that uses the workspace.
void* CudnnWorkspace(size_t bytes, std::unique_lock<std::mutex>* lock);

#define NN_CUDNN_CHECK(call)                                         \
  do {                                                               \
    const cudnnStatus_t nn_cudnn_status_ = (call);                   \
    NN_CHECK(nn_cudnn_status_ == CUDNN_STATUS_SUCCESS)               \
        << #call << " -> " << cudnnGetErrorString(nn_cudnn_status_); \
  } while (0)

}  // namespace nn::cuda

#endif  // NN_CUDA_CUDNN_HANDLE_H_
