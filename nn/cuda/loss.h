// CUDA kernels for the losses; same contracts as nn/cpu/loss.h, on device pointers (the
// loss value returns to the host). Binary cross-entropy only: cross-entropy's targets are
// host memory on every device (nn/ops/loss.cc) and it has no CUDA kernel yet.
#ifndef NN_CUDA_LOSS_H_
#define NN_CUDA_LOSS_H_

#include <cstdint>

namespace nn::cuda {

double BCEWithLogits(const float* logits, const float* targets, const float* pos_weight,
                     int64_t pos_weight_size, int64_t n);
void BCEWithLogitsBackward(const float* logits, const float* targets, const float* pos_weight,
                           int64_t pos_weight_size, int64_t n, float scale, float* dlogits);

}  // namespace nn::cuda

#endif  // NN_CUDA_LOSS_H_
