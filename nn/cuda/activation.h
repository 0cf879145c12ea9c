// CUDA kernels for activations; same contracts as nn/cpu/activation.h, on device pointers.
// Called through the façade in nn/ops/activation.h.
#ifndef NN_CUDA_ACTIVATION_H_
#define NN_CUDA_ACTIVATION_H_

#include <cstdint>

namespace nn::cuda {

void Relu(const float* x, float* y, int64_t n);
void ReluBackward(const float* dy, const float* mask, float* dx, int64_t n);
void ReluMaskInPlace(const float* mask, float* g, int64_t n);
void Sigmoid(const float* x, float* y, int64_t n);
void SigmoidBackward(const float* dy, const float* y, float* dx, int64_t n);
void Softmax(const float* x, float* y, int64_t rows, int64_t cols);
void SoftmaxBackward(const float* dy, const float* y, float* dx, int64_t rows, int64_t cols);
void LogSoftmax(const float* x, float* y, int64_t rows, int64_t cols);
void LogSoftmaxBackward(const float* dy, const float* y, float* dx, int64_t rows, int64_t cols);

}  // namespace nn::cuda

#endif  // NN_CUDA_ACTIVATION_H_
