// The shape of a 2-D pooling (NCHW planes), shared by the CPU and CUDA kernels' signatures.
#ifndef NN_CPU_POOL_GEOMETRY_H_
#define NN_CPU_POOL_GEOMETRY_H_

#include <cstdint>

namespace nn::cpu {

struct Pool2dGeometry {
  int64_t planes = 0;  // N * C
  int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;
};

}  // namespace nn::cpu

#endif  // NN_CPU_POOL_GEOMETRY_H_
