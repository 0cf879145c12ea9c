// What the tensor backend was built with: Eigen's version and whether (and which) CUDA
// backend is compiled in. For `deepfake --version` and bug reports.
#ifndef NN_BUILD_INFO_H_
#define NN_BUILD_INFO_H_

#include <string>

#include "nn/cuda/caching_allocator.h"

namespace nn {

std::string EigenVersion();  // "3.4.0"
bool CudaCompiledIn();
// GPUs the CUDA runtime sees; 0 without CUDA compiled in or without a usable GPU.
int CudaDeviceCount();
// "not compiled in (build with --config=cuda)", or
// "compiled in (CUDA runtime 13.0; 1 GPU)" / "compiled in (CUDA runtime 13.0; no GPU: ...)".
std::string CudaDescription();
// GPU `device`'s memory as its caching allocator accounts it (peaks, reserved bytes, the
// share not in use, raw allocations, cache hits); all zero without CUDA compiled in.
cuda::AllocatorStats CudaMemoryStats(int device);

}  // namespace nn

#endif  // NN_BUILD_INFO_H_
