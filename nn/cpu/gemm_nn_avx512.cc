// The SgemmNN kernel with AVX-512 (copts in BUILD), 16 lanes.
#define NN_GEMM_NN_LANES 16
#define NN_GEMM_NN_NAME GemmNnAvx512
#include "nn/cpu/gemm_nn.inc"
