// The shape of a 2-D convolution (NCHW), shared by the CPU and CUDA kernels' signatures.
#ifndef NN_CPU_CONV_GEOMETRY_H_
#define NN_CPU_CONV_GEOMETRY_H_

#include <cstdint>

namespace nn::cpu {

struct Conv2dGeometry {
  int64_t batch = 0;
  int64_t in_channels = 0, in_h = 0, in_w = 0;
  int64_t out_channels = 0, out_h = 0, out_w = 0;
  int64_t kernel_h = 0, kernel_w = 0;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;
};

}  // namespace nn::cpu

#endif  // NN_CPU_CONV_GEOMETRY_H_
