// Eigen's SGEMM at the build's baseline (x86-64-v3: AVX2 + FMA).
#define NN_SGEMM_EIGEN_NAME SgemmEigenAvx2
#include "nn/cpu/gemm_eigen.inc"

namespace nn::cpu::internal {

bool CpuHasAvx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}

}  // namespace nn::cpu::internal
