// CUDA kernels of the readout ops; same contracts as nn/cpu/readout.h, on device pointers.
// Called through the façade in nn/ops/readout.h.
#ifndef NN_CUDA_READOUT_H_
#define NN_CUDA_READOUT_H_

#include <cstdint>

namespace nn::cuda {

void MeanOverAxisForward(const float* x, int64_t outer, int64_t length, int64_t inner, float* y);
void MeanOverAxisBackward(const float* dy, int64_t outer, int64_t length, int64_t inner, float* dx);
void SelectIndexForward(const float* x, int64_t outer, int64_t length, int64_t inner, int64_t index,
                        float* y);
void SelectIndexBackward(const float* dy, int64_t outer, int64_t length, int64_t inner,
                         int64_t index, float* dx);

}  // namespace nn::cuda

#endif  // NN_CUDA_READOUT_H_
