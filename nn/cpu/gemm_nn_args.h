// The arguments of SgemmNN (gemm.h) and its kernel (gemm_nn.h) beyond the matrices: the
// per-row epilogue, and where the blocks of C's columns lie.
#ifndef NN_CPU_GEMM_NN_ARGS_H_
#define NN_CPU_GEMM_NN_ARGS_H_

#include <cstdint>

namespace nn::cpu {

// C[i, j] = relu?(C[i, j] * scale[i] + bias[i] + residual[i * ldr + j]). Null scale, bias or
// residual leave that term out.
struct RowEpilogue {
  const float* scale = nullptr;
  const float* bias = nullptr;
  const float* residual = nullptr;
  int64_t ldr = 0;
  bool relu = false;
};

// A product over `count` blocks of columns at once, each n wide, with block s's B, C and
// residual at b + s * b_stride, c + s * c_stride and residual + s * r_stride: a batch of
// images multiplied by the same weights. Its columns that do not fill whole panels are
// gathered from all blocks into shared ones, so an image of 49 or 196 pixels does not leave
// a partial vector behind each time.
struct ColumnBlocks {
  int64_t count = 1;
  int64_t b_stride = 0, c_stride = 0, r_stride = 0;
};

}  // namespace nn::cpu

#endif  // NN_CPU_GEMM_NN_ARGS_H_
