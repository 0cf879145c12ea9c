// Internal to nn/cpu: the inner kernel of the direct ("flat") convolution in conv.cc,
// compiled once per instruction set like the GEMM (gemm_eigen.h): 8-lane vectors at the
// build's baseline (AVX2 + FMA) and 16-lane vectors with AVX-512, picked at run time
// (UseAvx512Kernels in gemm.h). Each output is the same chain of fused multiply-adds in
// both, so both give the same bits; flat_correlate_test checks.
#ifndef NN_CPU_FLAT_CORRELATE_H_
#define NN_CPU_FLAT_CORRELATE_H_

#include <cstdint>

namespace nn::cpu::internal {

// Lengths this kernel may round up to: it writes out[r * ldo + i] and reads
// in[c * in_stride + shift[t] + i] for i < RoundUp(len, kFlatCorrelateSlack), never further.
constexpr int64_t kFlatCorrelateSlack = 48;

// out[r * ldo + i] = sum_{c < channels, t < taps} w[r * ldw + c * taps + t] *
//                    in[c * in_stride + shift[t] + i]
// for r < rows and i < len, summed over c then t in that order (outputs past len, up to the
// slack, are junk).
void FlatCorrelateAvx2(const float* in, int64_t in_stride, int64_t channels, const int64_t* shift,
                       int64_t taps, const float* w, int64_t ldw, int64_t rows, int64_t len,
                       float* out, int64_t ldo);
// Requires a CPU with AVX-512 F, DQ, BW and VL (CpuHasAvx512).
void FlatCorrelateAvx512(const float* in, int64_t in_stride, int64_t channels,
                         const int64_t* shift, int64_t taps, const float* w, int64_t ldw,
                         int64_t rows, int64_t len, float* out, int64_t ldo);

}  // namespace nn::cpu::internal

#endif  // NN_CPU_FLAT_CORRELATE_H_
