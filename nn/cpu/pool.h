// CPU kernels for 2-D pooling (NCHW, float32): max pooling with argmax indices and global
// average pooling, called through the façade in nn/ops/pool.h.
#ifndef NN_CPU_POOL_H_
#define NN_CPU_POOL_H_

#include <cstdint>

#include "nn/cpu/pool_geometry.h"

namespace nn::cpu {

// output[plane, oh, ow] = max over the window (padding is -inf) and, if argmax is not null,
// argmax[plane, oh, ow] = ih * in_w + iw of the first maximum in row-major window order (a
// NaN wins, as in PyTorch), or -1 for a dilated window with no element inside the plane
// (its output is -inf).
void MaxPool2dForward(const Pool2dGeometry& geometry, const float* input, float* output,
                      int32_t* argmax);
// input_grad[plane, argmax[plane, o]] += output_grad[plane, o].
void MaxPool2dBackward(const Pool2dGeometry& geometry, const float* output_grad,
                       const int32_t* argmax, float* input_grad);

// output[plane] = mean of input[plane, :] (hw elements per plane).
void GlobalAvgPool2dForward(int64_t planes, int64_t hw, const float* input, float* output);
// input_grad[plane, i] += output_grad[plane] / hw.
void GlobalAvgPool2dBackward(int64_t planes, int64_t hw, const float* output_grad,
                             float* input_grad);

}  // namespace nn::cpu

#endif  // NN_CPU_POOL_H_
