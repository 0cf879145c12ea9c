// Block-wide reductions for kernels launched with kThreadsPerBlock threads (for .cu files
// only): every thread passes its value and gets the block's result. Each call ends with a
// barrier, so calls may follow one another; all threads of the block must make the call.
#ifndef NN_CUDA_BLOCK_REDUCE_H_
#define NN_CUDA_BLOCK_REDUCE_H_

#include "nn/cuda/launch.h"

namespace nn::cuda {

__device__ inline double BlockSum(double v) {
  __shared__ double shared[kThreadsPerBlock];
  shared[threadIdx.x] = v;
  __syncthreads();
  for (int s = kThreadsPerBlock / 2; s > 0; s /= 2) {
    if (threadIdx.x < s) shared[threadIdx.x] += shared[threadIdx.x + s];
    __syncthreads();
  }
  const double result = shared[0];
  __syncthreads();
  return result;
}

__device__ inline float BlockMax(float v) {
  __shared__ float shared[kThreadsPerBlock];
  shared[threadIdx.x] = v;
  __syncthreads();
  for (int s = kThreadsPerBlock / 2; s > 0; s /= 2) {
    if (threadIdx.x < s) shared[threadIdx.x] = fmaxf(shared[threadIdx.x], shared[threadIdx.x + s]);
    __syncthreads();
  }
  const float result = shared[0];
  __syncthreads();
  return result;
}

}  // namespace nn::cuda

#endif  // NN_CUDA_BLOCK_REDUCE_H_
