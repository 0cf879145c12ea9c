// CUDA kernels for 2-D convolution on cuDNN; same contracts as nn/cpu/conv.h (geometry,
// fused inference epilogue, accumulating backward), on device pointers. Called through the
// façade in nn/ops/conv.h.
#ifndef NN_CUDA_CONV_H_
#define NN_CUDA_CONV_H_

#include "nn/cpu/conv_geometry.h"

namespace nn::cuda {

void Conv2dForward(const cpu::Conv2dGeometry& geometry, const float* input, const float* weight,
                   const float* scale, const float* bias, const float* residual, bool relu,
                   float* output);
void Conv2dBackward(const cpu::Conv2dGeometry& geometry, const float* input, const float* weight,
                    const float* output_grad, float* input_grad, float* weight_grad,
                    float* bias_grad);

}  // namespace nn::cuda

#endif  // NN_CUDA_CONV_H_
