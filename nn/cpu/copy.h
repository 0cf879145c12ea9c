// CPU kernels that move float rows between layouts without arithmetic: a strided row copy
// and a swap of the two leading axes of a [A, B, C] array. Called through the façades in
// nn/ops/ (the LSTM's batch_first transposes and its h_n / c_n extraction).
#ifndef NN_CPU_COPY_H_
#define NN_CPU_COPY_H_

#include <cstdint>

namespace nn::cpu {

// dst[r * dst_stride + c] = src[r * src_stride + c] for r < rows, c < cols. The ranges must
// not overlap.
void CopyRows(int64_t rows, int64_t cols, const float* src, int64_t src_stride, float* dst,
              int64_t dst_stride);

// dst [B, A, C] from src [A, B, C]: dst[b, a, :] = src[a, b, :]. src and dst must not
// overlap.
void SwapLeadingAxes(int64_t a, int64_t b, int64_t c, const float* src, float* dst);

}  // namespace nn::cpu

#endif  // NN_CPU_COPY_H_
