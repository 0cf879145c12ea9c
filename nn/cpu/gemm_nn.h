// Internal to nn/cpu: the kernel behind SgemmNN (gemm.h), compiled once per instruction set
// like the flat convolution (flat_correlate.h): 8-lane vectors at the build's baseline (AVX2 +
// FMA) and 16-lane vectors with AVX-512, picked at run time (UseAvx512Kernels). Each output is
// the same chain of fused multiply-adds in both, so both give the same bits; gemm_nn_test
// checks.
#ifndef NN_CPU_GEMM_NN_H_
#define NN_CPU_GEMM_NN_H_

#include <cstdint>

#include "nn/cpu/gemm_nn_args.h"

namespace nn::cpu::internal {

// Depth of one pass over B: a [kGemmNnDepth, 3 vectors] panel of B is copied to the
// workspace and stays in L1 while every row block of A passes over it.
constexpr int64_t kGemmNnDepth = 128;
// The widest panel (3 vectors of 16 floats).
constexpr int64_t kGemmNnMaxPanel = 48;

// Floats of workspace a call needs: one B panel, and C's gathered columns (at most 47 from
// each of `count` blocks of n columns) in whole panels.
constexpr int64_t GemmNnWorkspaceFloats(int64_t m, int64_t n, int64_t count) {
  const int64_t gathered = count * (n < kGemmNnMaxPanel ? n : kGemmNnMaxPanel - 1);
  return kGemmNnDepth * kGemmNnMaxPanel +
         m * ((gathered + kGemmNnMaxPanel - 1) / kGemmNnMaxPanel * kGemmNnMaxPanel);
}

// For each block s < blocks.count, with bs = b + s * blocks.b_stride and cs = c + s *
// blocks.c_stride (and the residual likewise): cs[i * ldc + j] = epilogue(sum_{p < k}
// a[i * lda + p] * bs[p * ldb + j]) for i < m, j < n, summed over p in order; m, n, k > 0.
// work: GemmNnWorkspaceFloats(m, n, blocks.count) floats, 64-byte aligned.
void GemmNnAvx2(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                int64_t ldb, float* c, int64_t ldc, const RowEpilogue& epilogue,
                const ColumnBlocks& blocks, float* work);
// Requires a CPU with AVX-512 F, DQ, BW and VL (CpuHasAvx512).
void GemmNnAvx512(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                  int64_t ldb, float* c, int64_t ldc, const RowEpilogue& epilogue,
                  const ColumnBlocks& blocks, float* work);

}  // namespace nn::cpu::internal

#endif  // NN_CPU_GEMM_NN_H_
