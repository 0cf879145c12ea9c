// The per-row epilogue of a product, shared by SgemmNN (gemm.h) and its kernel (gemm_nn.h):
// C[i, j] = relu?(C[i, j] * scale[i] + bias[i] + residual[i * ldr + j]). Null scale, bias or
// residual leave that term out.
#ifndef NN_CPU_ROW_EPILOGUE_H_
#define NN_CPU_ROW_EPILOGUE_H_

#include <cstdint>

namespace nn::cpu {

struct RowEpilogue {
  const float* scale = nullptr;
  const float* bias = nullptr;
  const float* residual = nullptr;
  int64_t ldr = 0;
  bool relu = false;
};

}  // namespace nn::cpu

#endif  // NN_CPU_ROW_EPILOGUE_H_
