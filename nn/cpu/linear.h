// CPU kernels for the fully connected layer on raw row-major float arrays (Eigen GEMM);
// called through the façade in nn/ops/linear.h.
#ifndef NN_CPU_LINEAR_H_
#define NN_CPU_LINEAR_H_

#include <cstdint>

namespace nn::cpu {

// y [rows, out] = x [rows, in] * w^T (w [out, in]) + b [out]; b may be null.
void LinearForward(const float* x, const float* w, const float* b, int64_t rows, int64_t in,
                   int64_t out, float* y);

// Accumulates dx += dy * w, dw += dy^T * x, db += column sums of dy; each may be null.
void LinearBackward(const float* dy, const float* x, const float* w, int64_t rows, int64_t in,
                    int64_t out, float* dx, float* dw, float* db);

}  // namespace nn::cpu

#endif  // NN_CPU_LINEAR_H_
