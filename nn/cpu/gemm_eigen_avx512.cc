// Eigen's SGEMM with AVX-512 (copts in BUILD), Eigen renamed so that no template symbol of
// this file is shared with the AVX2 copy (gemm_eigen.h).
#define Eigen nn_eigen_avx512
#define NN_SGEMM_EIGEN_NAME SgemmEigenAvx512
#include "nn/cpu/gemm_eigen.inc"
