// CUDA kernels for the fully connected layer (cuBLAS SGEMM); same contracts as
// nn/cpu/linear.h, on device pointers. Called through the façade in nn/ops/linear.h.
#ifndef NN_CUDA_LINEAR_H_
#define NN_CUDA_LINEAR_H_

#include <cstdint>

namespace nn::cuda {

void LinearForward(const float* x, const float* w, const float* b, int64_t rows, int64_t in,
                   int64_t out, float* y);
void LinearBackward(const float* dy, const float* x, const float* w, int64_t rows, int64_t in,
                    int64_t out, float* dx, float* dw, float* db);

}  // namespace nn::cuda

#endif  // NN_CUDA_LINEAR_H_
