// CUDA kernels that move float rows between layouts; same contracts as nn/cpu/copy.h, on
// device pointers.
#ifndef NN_CUDA_COPY_H_
#define NN_CUDA_COPY_H_

#include <cstdint>

namespace nn::cuda {

void CopyRows(int64_t rows, int64_t cols, const float* src, int64_t src_stride, float* dst,
              int64_t dst_stride);
void SwapLeadingAxes(int64_t a, int64_t b, int64_t c, const float* src, float* dst);

}  // namespace nn::cuda

#endif  // NN_CUDA_COPY_H_
