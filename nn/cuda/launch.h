// Launch geometry shared by the CUDA kernels (for .cu files only): a fixed block size and
// a grid that covers n elements, capped so that grid-stride loops cover the rest.
#ifndef NN_CUDA_LAUNCH_H_
#define NN_CUDA_LAUNCH_H_

#include <algorithm>
#include <cstdint>

namespace nn::cuda {

constexpr int kThreadsPerBlock = 256;

inline int BlocksFor(int64_t n) {
  const int64_t blocks = (n + kThreadsPerBlock - 1) / kThreadsPerBlock;
  return static_cast<int>(std::min<int64_t>(std::max<int64_t>(blocks, 1), 65535));
}

// for (int64_t i : grid-stride indices below n) in a kernel body.
#define NN_CUDA_GRID_STRIDE(i, n)                                           \
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); \
       i += int64_t{blockDim.x} * gridDim.x)

}  // namespace nn::cuda

#endif  // NN_CUDA_LAUNCH_H_
