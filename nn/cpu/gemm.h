// Row-major single-precision GEMMs, the matrix-multiply core of the CPU convolution, linear
// and LSTM kernels: Sgemm (Eigen's) computes C = alpha * op(A) * op(B) + beta * C; SgemmNN
// (our own, for the convolution forward) C = epilogue(A * B).
//
// Matrices are row-major with leading dimensions (the distance between rows, >= columns),
// so sub-matrices of larger arrays can be passed without copies. op(X) is X or X^T.
//
//   Sgemm(false, true, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);  // C = A * B^T
//
// Sgemm runs on the calling thread (Eigen is single-threaded here), with 512-bit vectors
// where the CPU has AVX-512 (F, DQ, BW, VL) and the environment does not say
// NN_CPU_ISA=avx2, else AVX2 + FMA (gemm_eigen.h); the choice is made once per process.
// ParallelSgemm splits C into tiles of a fixed size that depends only on m and n, runs
// them with ParallelFor, and therefore computes the same bits for any thread count.
#ifndef NN_CPU_GEMM_H_
#define NN_CPU_GEMM_H_

#include <cstdint>

#include "nn/cpu/gemm_nn_args.h"

namespace nn::cpu {

// C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C. op(A) = A ([m, k], lda >= k) or
// A^T (A stored [k, m], lda >= m); likewise B. beta == 0 ignores C's contents (it may be
// uninitialized). k == 0 gives C = beta * C.
void Sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// The same product, with C's tiles computed in parallel on nn::cpu's default pool.
void ParallelSgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                   const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                   int64_t ldc);

// C[m, n] = epilogue(A[m, k] * B[k, n]), row-major, on nn::cpu's own kernel (gemm_nn.h), on
// the calling thread; with `blocks`, the same for each of blocks.count (B, C, residual)
// triples at the given strides (gemm_nn_args.h). A is read in place, never repacked (made for
// a layer's weights); B is copied in small panels; the epilogue runs while C is in registers.
// Every C element is one chain of FMAs over k in order: the same bits on both instruction
// sets and however the caller tiles or blocks C. k == 0 gives C = epilogue(0).
void SgemmNN(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
             int64_t ldb, float* c, int64_t ldc, const RowEpilogue& epilogue = {},
             const ColumnBlocks& blocks = {});

// Whether this process runs the AVX-512 copies of the CPU kernels (the GEMM and the flat
// convolution's): the CPU has AVX-512 F, DQ, BW and VL and NN_CPU_ISA is not "avx2".
// Decided at the first call.
bool UseAvx512Kernels();

// "avx512" or "avx2": the kernels Sgemm runs in this process.
const char* SgemmIsa();

}  // namespace nn::cpu

#endif  // NN_CPU_GEMM_H_
