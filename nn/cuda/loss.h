// CUDA kernels for the losses; same contracts as nn/cpu/loss.h, on device pointers (the
// loss value returns to the host), except cross-entropy's targets, which are host memory on
// every device (nn/ops/loss.cc): the kernels copy them to the GPU.
#ifndef NN_CUDA_LOSS_H_
#define NN_CUDA_LOSS_H_

#include <cstdint>

namespace nn::cuda {

double BCEWithLogits(const float* logits, const float* targets, const float* pos_weight,
                     int64_t pos_weight_size, int64_t n);
void BCEWithLogitsBackward(const float* logits, const float* targets, const float* pos_weight,
                           int64_t pos_weight_size, int64_t n, float scale, float* dlogits);
double CrossEntropy(const float* logits, const int64_t* targets, const float* class_weights,
                    int64_t rows, int64_t classes, float label_smoothing, int64_t ignore_index);
void CrossEntropyBackward(const float* logits, const int64_t* targets, const float* class_weights,
                          int64_t rows, int64_t classes, float label_smoothing,
                          int64_t ignore_index, float dloss, float* dlogits);

}  // namespace nn::cuda

#endif  // NN_CUDA_LOSS_H_
