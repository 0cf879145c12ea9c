// The CUDA runtime as the rest of nn/ sees it: device discovery, memory, copies. Plain C++
// (no CUDA headers) so that .cc files compile with g++; implemented in runtime.cu. Built
// only under --config=cuda, which also defines NN_HAVE_CUDA=1 for every dependent.
// Failures of these calls are fatal NN_CHECKs that print the CUDA call and error.
#ifndef NN_CUDA_RUNTIME_H_
#define NN_CUDA_RUNTIME_H_

#include <cstddef>
#include <string>

#include "nn/cuda/caching_allocator.h"

namespace nn::cuda {

struct DeviceQuery {
  int count = 0;      // usable GPUs
  std::string error;  // why count is 0 (no driver, no device), empty otherwise
};
DeviceQuery QueryDevices();

std::string RuntimeVersion();  // e.g. "13.0"

// Device memory through each device's caching allocator (nn/cuda/caching_allocator.h):
// cudaMalloc only when the cache has no block of about the size; out of memory is fatal,
// naming the request and the device's memory statistics.
void* Malloc(size_t bytes, int device);
void Free(void* ptr, int device);
// The device's allocator statistics (peak and current bytes in use and reserved, raw
// allocations, cache hits, the share of reserved bytes not in use), and the release of its
// cached blocks to the driver.
AllocatorStats MemoryStats(int device);
void ReleaseCachedMemory(int device);
void SetZero(void* ptr, size_t bytes, int device);
void CopyHostToDevice(void* dst, const void* src, size_t bytes, int device);
void CopyDeviceToHost(void* dst, const void* src, size_t bytes, int device);
void CopyDeviceToDevice(void* dst, int dst_device, const void* src, int src_device, size_t bytes);

}  // namespace nn::cuda

#endif  // NN_CUDA_RUNTIME_H_
