// Build facts of the tensor backend.
#include "nn/build_info.h"

#include <Eigen/Core>

#include "nn/tensor.h"  // NN_HAVE_CUDA comes with the tensor's dependencies
#if NN_HAVE_CUDA
#include "nn/cuda/runtime.h"
#endif

namespace nn {

std::string EigenVersion() {
  return std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
         std::to_string(EIGEN_MINOR_VERSION);
}

bool CudaCompiledIn() { return NN_HAVE_CUDA; }

int CudaDeviceCount() {
#if NN_HAVE_CUDA
  return cuda::QueryDevices().count;
#else
  return 0;
#endif
}

std::string CudaDescription() {
#if NN_HAVE_CUDA
  const cuda::DeviceQuery query = cuda::QueryDevices();
  std::string gpus = query.count > 0
                         ? std::to_string(query.count) + (query.count == 1 ? " GPU" : " GPUs")
                         : "no GPU: " + query.error;
  return "compiled in (CUDA runtime " + cuda::RuntimeVersion() + "; " + gpus + ")";
#else
  return "not compiled in (build with --config=cuda)";
#endif
}

cuda::AllocatorStats CudaMemoryStats(int device) {
#if NN_HAVE_CUDA
  return cuda::MemoryStats(device);
#else
  (void)device;
  return {};
#endif
}

}  // namespace nn
