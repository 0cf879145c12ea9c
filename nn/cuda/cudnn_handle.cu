// One cuDNN handle and one workspace per device, created on first use.
#include <cuda_runtime.h>

#include <vector>

#include "nn/cuda/cuda_check.h"
#include "nn/cuda/cudnn_handle.h"

namespace nn::cuda {
namespace {

struct PerDevice {
  cudnnHandle_t handle = nullptr;
  void* workspace = nullptr;
  size_t workspace_bytes = 0;
  std::mutex workspace_mutex;
};

PerDevice& Current() {
  static std::mutex mutex;
  static std::vector<PerDevice*> devices;  // never freed: handles live for the process
  int device = 0;
  NN_CUDA_CHECK(cudaGetDevice(&device));
  std::lock_guard<std::mutex> lock(mutex);
  if (static_cast<int>(devices.size()) <= device) devices.resize(device + 1, nullptr);
  if (devices[device] == nullptr) {
    devices[device] = new PerDevice;
    NN_CUDNN_CHECK(cudnnCreate(&devices[device]->handle));
  }
  return *devices[device];
}

}  // namespace

cudnnHandle_t CudnnHandle() { return Current().handle; }

void* CudnnWorkspace(size_t bytes, std::unique_lock<std::mutex>* lock) {
  NN_CHECK_LE(bytes, kMaxCudnnWorkspace) << "cuDNN workspace";
  PerDevice& d = Current();
  *lock = std::unique_lock<std::mutex>(d.workspace_mutex);
  if (bytes > d.workspace_bytes) {
    if (d.workspace != nullptr) NN_CUDA_CHECK(cudaFree(d.workspace));  // synchronizes
    d.workspace = nullptr;
    NN_CUDA_CHECK(cudaMalloc(&d.workspace, bytes));
    d.workspace_bytes = bytes;
  }
  return d.workspace;
}

}  // namespace nn::cuda
