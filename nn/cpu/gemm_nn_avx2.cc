// The SgemmNN kernel at the build's baseline (x86-64-v3: AVX2 + FMA), 8 lanes.
#define NN_GEMM_NN_LANES 8
#define NN_GEMM_NN_NAME GemmNnAvx2
#include "nn/cpu/gemm_nn.inc"
