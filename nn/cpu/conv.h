// CPU kernels for 2-D convolution (NCHW, float32, groups, stride, padding, dilation), mostly
// as GEMMs on Eigen, called through the façade in nn/ops/conv.h.
//
// Layout. Output pixels of all images form one "column space" j = n*OH*OW + oh*OW + ow.
// For group g, with K = Cin/groups * KH * KW and col the im2col matrix [K, N*OH*OW]:
//   forward    Y_g[Cout/groups, j] = W_g[Cout/groups, K] * col_g[K, j]  (+ bias, residual, ReLU)
//   backward   dW_g += dY_g * col_g^T,  dcol_g = W_g^T * dY_g,  dX += col2im(dcol_g),
//              db[c] += sum_j dY[c, j]
// The work is cut into tiles of fixed size (rows of W, channels of X, columns j), chosen from
// the shapes only and run with ParallelFor: results are bitwise the same for any thread
// count. A 1x1, stride-1, unpadded convolution reads X (and writes Y) in place, without im2col.
// Grouped convolutions with <= 64 channels per group (ResNeXt's 3x3s), and the forward of ones
// with <= 4 input channels (a 7x7 stem), skip im2col and GEMM: a direct kernel on zero-padded,
// stride-phase-split input planes, vectorized over output pixels (see conv.cc, "flat phase
// planes"); its backward runs one task per group.
#ifndef NN_CPU_CONV_H_
#define NN_CPU_CONV_H_

#include <cstdint>

#include "nn/cpu/conv_geometry.h"

namespace nn::cpu {

// output[N, Cout, OH, OW] = relu?(conv(input, weight) * scale + bias + residual). `scale`
// and `bias` [Cout] and `residual` [N, Cout, OH, OW] may be null; `residual` must not overlap
// `output`.
void Conv2dForward(const Conv2dGeometry& geometry, const float* input, const float* weight,
                   const float* scale, const float* bias, const float* residual, bool relu,
                   float* output);

// Accumulates (+=) into each non-null gradient:
//   input_grad  dX += col2im(W_g^T * dY_g)       [N, Cin, H, W]
//   weight_grad dW_g += dY_g * col_g^T           [Cout, Cin/groups, KH, KW]
//   bias_grad   db[c] += sum_{n,oh,ow} dY[n, c]  [Cout]
void Conv2dBackward(const Conv2dGeometry& geometry, const float* input, const float* weight,
                    const float* output_grad, float* input_grad, float* weight_grad,
                    float* bias_grad);

}  // namespace nn::cpu

#endif  // NN_CPU_CONV_H_
