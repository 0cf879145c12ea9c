// CUDA runtime wrappers behind nn/cuda/runtime.h.
#include <cuda_runtime.h>

#include <mutex>
#include <vector>

#include "nn/cuda/cuda_check.h"
#include "nn/cuda/runtime.h"

namespace nn::cuda {

DeviceQuery QueryDevices() {
  DeviceQuery query;
  const cudaError_t status = cudaGetDeviceCount(&query.count);
  if (status != cudaSuccess) {
    query.count = 0;
    query.error = std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status);
    cudaGetLastError();  // clear the sticky error so later calls are not blamed for it
  } else if (query.count == 0) {
    query.error = "no CUDA device";
  }
  return query;
}

std::string RuntimeVersion() {
  int version = 0;
  NN_CUDA_CHECK(cudaRuntimeGetVersion(&version));
  return std::to_string(version / 1000) + "." + std::to_string((version % 1000) / 10);
}

namespace {

// Device d's allocator over cudaMalloc / cudaFree; created on first use, kept for the
// process (tensors may be freed during static destruction).
CachingAllocator& AllocatorFor(int device) {
  static std::mutex mutex;
  static std::vector<CachingAllocator*> allocators;
  std::lock_guard<std::mutex> lock(mutex);
  if (static_cast<int>(allocators.size()) <= device) allocators.resize(device + 1, nullptr);
  if (allocators[device] == nullptr) {
    allocators[device] = new CachingAllocator(
        [device](size_t bytes) -> void* {
          void* ptr = nullptr;
          NN_CUDA_CHECK(cudaSetDevice(device));
          const cudaError_t status = cudaMalloc(&ptr, bytes);
          if (status == cudaErrorMemoryAllocation) {
            cudaGetLastError();  // clear it: the allocator releases its cache and retries
            return nullptr;
          }
          NN_CUDA_CHECK(status);
          return ptr;
        },
        [device](void* ptr) {
          NN_CUDA_CHECK(cudaSetDevice(device));
          NN_CUDA_CHECK(cudaFree(ptr));
        });
  }
  return *allocators[device];
}

}  // namespace

DeviceProperties QueryProperties(int device) {
  DeviceProperties p;
  cudaDeviceProp prop{};
  NN_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  p.name = prop.name;
  p.multiprocessors = prop.multiProcessorCount;
  p.compute_capability = prop.major * 10 + prop.minor;
  p.memory_bytes = prop.totalGlobalMem;
  if (cudaDeviceGetAttribute(&p.clock_khz, cudaDevAttrClockRate, device) != cudaSuccess) {
    cudaGetLastError();
    p.clock_khz = 0;
  }
  return p;
}

void Synchronize(int device) {
  NN_CUDA_CHECK(cudaSetDevice(device));
  NN_CUDA_CHECK(cudaDeviceSynchronize());
}

void* Malloc(size_t bytes, int device) {
  if (bytes == 0) return nullptr;
  NN_CUDA_CHECK(cudaSetDevice(device));
  void* ptr = AllocatorFor(device).Allocate(bytes);
  NN_CHECK(ptr != nullptr) << "out of GPU memory on cuda:" << device << " allocating " << bytes
                           << " bytes (" << AllocatorFor(device).stats().ToString() << ")";
  return ptr;
}

void Free(void* ptr, int device) {
  if (ptr == nullptr) return;
  AllocatorFor(device).Free(ptr);
}

AllocatorStats MemoryStats(int device) { return AllocatorFor(device).stats(); }

void ReleaseCachedMemory(int device) { AllocatorFor(device).ReleaseCache(); }

void SetZero(void* ptr, size_t bytes, int device) {
  if (bytes == 0) return;
  NN_CUDA_CHECK(cudaSetDevice(device));
  NN_CUDA_CHECK(cudaMemset(ptr, 0, bytes));
}

void CopyHostToDevice(void* dst, const void* src, size_t bytes, int device) {
  NN_CUDA_CHECK(cudaSetDevice(device));
  NN_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
}

void CopyDeviceToHost(void* dst, const void* src, size_t bytes, int device) {
  NN_CUDA_CHECK(cudaSetDevice(device));
  NN_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
}

void CopyDeviceToDevice(void* dst, int dst_device, const void* src, int src_device, size_t bytes) {
  NN_CUDA_CHECK(cudaMemcpyPeer(dst, dst_device, src, src_device, bytes));
}

}  // namespace nn::cuda
