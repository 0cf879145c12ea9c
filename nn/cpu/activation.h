// CPU kernels for activations on raw float arrays: ReLU and sigmoid elementwise, softmax
// and log-softmax over the last axis of a [rows, cols] array; called through the façade in
// nn/ops/activation.h. Every output may alias its input.
#ifndef NN_CPU_ACTIVATION_H_
#define NN_CPU_ACTIVATION_H_

#include <cstdint>

namespace nn::cpu {

// y = max(x, 0) (NaN propagates, as torch.relu).
void Relu(const float* x, float* y, int64_t n);
// dx += dy where mask > 0; `mask` is the forward's input or its output (same sign).
void ReluBackward(const float* dy, const float* mask, float* dx, int64_t n);
// g[i] = mask[i] > 0 ? g[i] : 0.
void ReluMaskInPlace(const float* mask, float* g, int64_t n);

// y = 1 / (1 + exp(-x)).
void Sigmoid(const float* x, float* y, int64_t n);
// dx += dy * y * (1 - y).
void SigmoidBackward(const float* dy, const float* y, float* dx, int64_t n);

// Per row: y = exp(x - max) / sum exp(x - max).
void Softmax(const float* x, float* y, int64_t rows, int64_t cols);
// Per row: dx += y * (dy - sum_j dy_j y_j).
void SoftmaxBackward(const float* dy, const float* y, float* dx, int64_t rows, int64_t cols);

// Per row: y = x - max - log(sum exp(x - max)).
void LogSoftmax(const float* x, float* y, int64_t rows, int64_t cols);
// Per row: dx += dy - exp(y) * sum_j dy_j.
void LogSoftmaxBackward(const float* dy, const float* y, float* dx, int64_t rows, int64_t cols);

}  // namespace nn::cpu

#endif  // NN_CPU_ACTIVATION_H_
