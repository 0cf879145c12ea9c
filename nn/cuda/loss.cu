// The losses on the GPU. Binary cross-entropy with logits: each element's term in double on
// the device (the CPU's formula), the terms summed on the host in order, as the CPU does;
// the backward elementwise. Cross-entropy: one thread per row (log-softmax in double, as
// the CPU), the rows' terms and target weights summed on the host in order.
#include <cuda_runtime.h>

#include <limits>
#include <utility>
#include <vector>

#include "nn/cuda/cuda_check.h"
#include "nn/cuda/device_buffer.h"
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

__device__ double ClassWeight(const float* class_weights, int64_t c) {
  return class_weights != nullptr ? class_weights[c] : 1.0;
}

// Row i's max and log-sum-exp shift: logp[j] = x[j] - shift.
__device__ double RowShift(const float* x, int64_t classes) {
  double m = -INFINITY;
  for (int64_t j = 0; j < classes; ++j) m = fmax(m, static_cast<double>(x[j]));
  double sum = 0;
  for (int64_t j = 0; j < classes; ++j) sum += exp(x[j] - m);
  return m + log(sum);
}

// terms[i]: row i's loss before the division by D; weights[i]: its target weight (0 when
// the row is ignored).
__global__ void CrossEntropyTermsKernel(const float* logits, const int64_t* targets,
                                        const float* class_weights, int64_t rows, int64_t classes,
                                        double eps, int64_t ignore_index, double* terms,
                                        double* weights) {
  NN_CUDA_GRID_STRIDE(i, rows) {
    const int64_t t = targets[i];
    terms[i] = 0;
    weights[i] = 0;
    if (t == ignore_index) continue;
    const float* x = logits + i * classes;
    const double shift = RowShift(x, classes);
    weights[i] = ClassWeight(class_weights, t);
    double term = -ClassWeight(class_weights, t) * (x[t] - shift);
    if (eps > 0) {
      double smooth = 0;
      for (int64_t c = 0; c < classes; ++c)
        smooth -= ClassWeight(class_weights, c) * (x[c] - shift);
      term = (1.0 - eps) * term + eps / static_cast<double>(classes) * smooth;
    }
    terms[i] = term;
  }
}

__global__ void CrossEntropyBackwardKernel(const float* logits, const int64_t* targets,
                                           const float* class_weights, int64_t rows,
                                           int64_t classes, double eps, int64_t ignore_index,
                                           double scale, double weight_sum, float* dlogits) {
  NN_CUDA_GRID_STRIDE(i, rows) {
    const int64_t t = targets[i];
    if (t == ignore_index) continue;
    const float* x = logits + i * classes;
    const double shift = RowShift(x, classes);
    const double wt = ClassWeight(class_weights, t);
    float* d = dlogits + i * classes;
    for (int64_t j = 0; j < classes; ++j) {
      const double p = exp(x[j] - shift);
      double g = (1.0 - eps) * wt * (p - (j == t ? 1.0 : 0.0));
      if (eps > 0) {
        g += eps / static_cast<double>(classes) * (p * weight_sum - ClassWeight(class_weights, j));
      }
      d[j] += static_cast<float>(scale * g);
    }
  }
}

// The host targets on the GPU, and per-row (term, weight) buffers.
struct CrossEntropyBuffers {
  DeviceBuffer<int64_t> targets;
  DeviceBuffer<double> terms, weights;
  CrossEntropyBuffers(const int64_t* host_targets, int64_t rows)
      : targets(rows), terms(rows), weights(rows) {
    NN_CUDA_CHECK(
        cudaMemcpy(targets.get(), host_targets, sizeof(int64_t) * rows, cudaMemcpyHostToDevice));
  }
};

// Runs the terms kernel; returns (sum of terms, D = sum of target weights), each in row order.
std::pair<double, double> CrossEntropySums(const float* logits, const CrossEntropyBuffers& b,
                                           const float* class_weights, int64_t rows,
                                           int64_t classes, float label_smoothing,
                                           int64_t ignore_index) {
  CrossEntropyTermsKernel<<<BlocksFor(rows), kThreadsPerBlock>>>(
      logits, b.targets.get(), class_weights, rows, classes, label_smoothing, ignore_index,
      b.terms.get(), b.weights.get());
  NN_CUDA_CHECK(cudaGetLastError());
  std::vector<double> terms(rows), weights(rows);
  NN_CUDA_CHECK(
      cudaMemcpy(terms.data(), b.terms.get(), sizeof(double) * rows, cudaMemcpyDeviceToHost));
  NN_CUDA_CHECK(
      cudaMemcpy(weights.data(), b.weights.get(), sizeof(double) * rows, cudaMemcpyDeviceToHost));
  double sum = 0, total_weight = 0;
  for (int64_t i = 0; i < rows; ++i) {
    sum += terms[i];
    total_weight += weights[i];
  }
  return {sum, total_weight};
}

}  // namespace

double CrossEntropy(const float* logits, const int64_t* targets, const float* class_weights,
                    int64_t rows, int64_t classes, float label_smoothing, int64_t ignore_index) {
  if (rows == 0) return std::numeric_limits<double>::quiet_NaN();
  const CrossEntropyBuffers buffers(targets, rows);
  const auto [sum, total_weight] = CrossEntropySums(logits, buffers, class_weights, rows, classes,
                                                    label_smoothing, ignore_index);
  return sum / total_weight;  // all rows ignored: 0 / 0 = NaN, as the CPU
}

void CrossEntropyBackward(const float* logits, const int64_t* targets, const float* class_weights,
                          int64_t rows, int64_t classes, float label_smoothing,
                          int64_t ignore_index, float dloss, float* dlogits) {
  if (rows == 0) return;
  const CrossEntropyBuffers buffers(targets, rows);
  const double total_weight =
      CrossEntropySums(logits, buffers, class_weights, rows, classes, label_smoothing, ignore_index)
          .second;
  double weight_sum = classes;
  if (class_weights != nullptr) {
    std::vector<float> host(classes);
    NN_CUDA_CHECK(
        cudaMemcpy(host.data(), class_weights, sizeof(float) * classes, cudaMemcpyDeviceToHost));
    weight_sum = 0;
    for (float w : host) weight_sum += w;
  }
  CrossEntropyBackwardKernel<<<BlocksFor(rows), kThreadsPerBlock>>>(
      logits, buffers.targets.get(), class_weights, rows, classes, label_smoothing, ignore_index,
      dloss / total_weight, weight_sum, dlogits);
  NN_CUDA_CHECK(cudaGetLastError());
}

double BCEWithLogits(const float* logits, const float* targets, const float* pos_weight,
                     int64_t pos_weight_size, int64_t n) {
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();  // the mean of nothing, as the CPU
  const DeviceBuffer<double> terms(n);
  TermsKernel<<<BlocksFor(n), kThreadsPerBlock>>>(logits, targets, pos_weight, pos_weight_size, n,
                                                  terms.get());
  NN_CUDA_CHECK(cudaGetLastError());
  std::vector<double> host(n);
  NN_CUDA_CHECK(cudaMemcpy(host.data(), terms.get(), sizeof(double) * n, cudaMemcpyDeviceToHost));
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
