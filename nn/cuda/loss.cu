// Binary cross-entropy with logits on the GPU: each element's term in double on the device
// (the CPU's formula), the terms summed on the host in order, as the CPU does; the backward
// elementwise.
#include <cuda_runtime.h>

#include <limits>
#include <vector>

#include "nn/cuda/cuda_check.h"
#include "nn/cuda/launch.h"
#include "nn/cuda/loss.h"

namespace nn::cuda {
namespace {

// softplus(-x) = max(-x, 0) + log1p(exp(-|x|)), without overflow.
__device__ double SoftplusOfNegative(double x) { return fmax(-x, 0.0) + log1p(exp(-fabs(x))); }

__device__ double Sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + exp(-x));
  const double e = exp(x);
  return e / (1.0 + e);
}

__device__ double PosWeight(const float* pos_weight, int64_t size, int64_t i) {
  return pos_weight != nullptr ? pos_weight[i % size] : 1.0;
}

__global__ void TermsKernel(const float* logits, const float* targets, const float* pos_weight,
                            int64_t pos_weight_size, int64_t n, double* terms) {
  NN_CUDA_GRID_STRIDE(i, n) {
    const double x = logits[i], t = targets[i];
    const double log_weight = 1.0 + (PosWeight(pos_weight, pos_weight_size, i) - 1.0) * t;
    terms[i] = (1.0 - t) * x + log_weight * SoftplusOfNegative(x);
  }
}

__global__ void BackwardKernel(const float* logits, const float* targets, const float* pos_weight,
                               int64_t pos_weight_size, int64_t n, float scale, float* dlogits) {
  NN_CUDA_GRID_STRIDE(i, n) {
    const double t = targets[i];
    const double pw = PosWeight(pos_weight, pos_weight_size, i);
    const double log_weight = 1.0 + (pw - 1.0) * t;
    dlogits[i] += static_cast<float>(scale * (log_weight * Sigmoid(logits[i]) - pw * t));
  }
}

}  // namespace

double BCEWithLogits(const float* logits, const float* targets, const float* pos_weight,
                     int64_t pos_weight_size, int64_t n) {
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();  // the mean of nothing, as the CPU
  double* terms = nullptr;
  NN_CUDA_CHECK(cudaMalloc(&terms, sizeof(double) * n));
  TermsKernel<<<BlocksFor(n), kThreadsPerBlock>>>(logits, targets, pos_weight, pos_weight_size, n,
                                                  terms);
  NN_CUDA_CHECK(cudaGetLastError());
  std::vector<double> host(n);
  NN_CUDA_CHECK(cudaMemcpy(host.data(), terms, sizeof(double) * n, cudaMemcpyDeviceToHost));
  NN_CUDA_CHECK(cudaFree(terms));
  double sum = 0;
  for (double term : host) sum += term;
  return sum / static_cast<double>(n);
}

void BCEWithLogitsBackward(const float* logits, const float* targets, const float* pos_weight,
                           int64_t pos_weight_size, int64_t n, float scale, float* dlogits) {
  if (n == 0) return;
  BackwardKernel<<<BlocksFor(n), kThreadsPerBlock>>>(logits, targets, pos_weight, pos_weight_size,
                                                     n, scale, dlogits);
  NN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace nn::cuda
