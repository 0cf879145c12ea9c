// Layout copies: one memcpy per row.
#include "nn/cpu/copy.h"

#include <cstring>

namespace nn::cpu {

void CopyRows(int64_t rows, int64_t cols, const float* src, int64_t src_stride, float* dst,
              int64_t dst_stride) {
  for (int64_t r = 0; r < rows; ++r) {
    std::memcpy(dst + r * dst_stride, src + r * src_stride, cols * sizeof(float));
  }
}

void SwapLeadingAxes(int64_t a, int64_t b, int64_t c, const float* src, float* dst) {
  for (int64_t i = 0; i < a; ++i) {
    for (int64_t j = 0; j < b; ++j) {
      std::memcpy(dst + (j * a + i) * c, src + (i * b + j) * c, c * sizeof(float));
    }
  }
}

}  // namespace nn::cpu
