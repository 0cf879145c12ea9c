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

struct DeviceProperties {
  std::string name;  // "NVIDIA H200"
  int multiprocessors = 0;
  int clock_khz = 0;           // the SMs' peak clock (0 if the runtime does not say)
  int compute_capability = 0;  // major * 10 + minor, e.g. 90
  size_t memory_bytes = 0;
  // FP32 FMA peak without tensor cores: SMs x 128 lanes x 2 FLOPs x clock (0 if unknown).
  double Fp32PeakFlops() const { return 2.0 * 128 * multiprocessors * clock_khz * 1e3; }
};
DeviceProperties QueryProperties(int device);
// Waits until every kernel and copy queued on the device has finished (for timing).
void Synchronize(int device);

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
