// Internal to nn/cpu: Eigen's SGEMM compiled once per instruction set, so that one
// portable binary (x86-64-v3: AVX2 + FMA) runs 512-bit kernels where the CPU has
// AVX-512 (twice the FMA rate of 256-bit vectors on Zen 5). Sgemm (gemm.h) picks one
// at its first call. The AVX-512 copy includes Eigen under another namespace name, so
// none of its template code shares a symbol with the AVX2 copy's (the linker would keep
// one of the two for both, and an AVX2-only CPU could run 512-bit code);
// gemm_isa_test checks the two object files share no code symbol.
//
// Both: C[m, n] = alpha * op(A) op(B) + beta * C, row-major, as nn::cpu::Sgemm; m, n, k
// > 0 and the leading dimensions already checked.
#ifndef NN_CPU_GEMM_EIGEN_H_
#define NN_CPU_GEMM_EIGEN_H_

#include <cstdint>

namespace nn::cpu::internal {

void SgemmEigenAvx2(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                    const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                    int64_t ldc);
// Requires a CPU with AVX-512 F, DQ, BW and VL (CpuHasAvx512).
void SgemmEigenAvx512(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                      const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                      float* c, int64_t ldc);
bool CpuHasAvx512();

}  // namespace nn::cpu::internal

#endif  // NN_CPU_GEMM_EIGEN_H_
