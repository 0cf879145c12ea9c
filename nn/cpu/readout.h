// CPU kernels of the readout ops (nn/ops/readout.h): reductions and selections along one
// axis of a tensor viewed as [outer, length, inner] (row-major, so element (o, t, i) is at
// (o * length + t) * inner + i). Forward kernels write their output; backward kernels
// accumulate (+=) into the input gradient.
#ifndef NN_CPU_READOUT_H_
#define NN_CPU_READOUT_H_

#include <cstdint>

namespace nn::cpu {

// y[o, i] = sum_t (x[o, t, i] / length), summed in float32 in order t = 0 .. length-1.
void MeanOverAxisForward(const float* x, int64_t outer, int64_t length, int64_t inner, float* y);
// dx[o, t, i] += dy[o, i] / length.
void MeanOverAxisBackward(const float* dy, int64_t outer, int64_t length, int64_t inner, float* dx);

// y[o, i] = x[o, index, i], 0 <= index < length.
void SelectIndexForward(const float* x, int64_t outer, int64_t length, int64_t inner, int64_t index,
                        float* y);
// dx[o, index, i] += dy[o, i]; the other entries of dx are unchanged.
void SelectIndexBackward(const float* dy, int64_t outer, int64_t length, int64_t inner,
                         int64_t index, float* dx);

}  // namespace nn::cpu

#endif  // NN_CPU_READOUT_H_
