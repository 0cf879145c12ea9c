// Scratch memory on the current device for the duration of a kernel wrapper (for .cu files
// only), from the device's caching allocator (nn/cuda/runtime.h): no cudaMalloc in steady
// state. Freed blocks may be reused at once: every kernel runs in order on one stream.
#ifndef NN_CUDA_DEVICE_BUFFER_H_
#define NN_CUDA_DEVICE_BUFFER_H_

#include <cuda_runtime.h>

#include <cstdint>

#include "nn/cuda/cuda_check.h"
#include "nn/cuda/runtime.h"

namespace nn::cuda {

template <typename T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(int64_t count) {
    NN_CUDA_CHECK(cudaGetDevice(&device_));
    data_ = static_cast<T*>(Malloc(sizeof(T) * static_cast<size_t>(count), device_));
  }
  ~DeviceBuffer() { Free(data_, device_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* get() const { return data_; }

 private:
  int device_ = 0;
  T* data_ = nullptr;
};

}  // namespace nn::cuda

#endif  // NN_CUDA_DEVICE_BUFFER_H_
