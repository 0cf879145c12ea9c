// The losses on the GPU. Binary cross-entropy with logits: each element's term in double on
// the device (the CPU's formula), the terms summed on the host in order, as the CPU does;
// the backward elementwise. Cross-entropy: one thread per row (log-softmax in double, as
// the CPU), the rows' terms summed on the host in order; D, the targets' weight sum, by the
// CPU kernels' own TargetWeightSum on the host targets and a host copy of the weights.
#include <cuda_runtime.h>

#include <limits>
#include <vector>

#include "nn/cpu/loss.h"
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

// terms[i]: row i's loss before the division by D (0 when the row is ignored).
__global__ void CrossEntropyTermsKernel(const float* logits, const int64_t* targets,
                                        const float* class_weights, int64_t rows, int64_t classes,
                                        double eps, int64_t ignore_index, double* terms) {
  NN_CUDA_GRID_STRIDE(i, rows) {
    const int64_t t = targets[i];
    terms[i] = 0;
    if (t == ignore_index) continue;
    const float* x = logits + i * classes;
    const double shift = RowShift(x, classes);
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

// The class weights on the host (empty for none), and the targets on the GPU.
struct CrossEntropyInputs {
  std::vector<float> host_weights;
  DeviceBuffer<int64_t> targets;
  CrossEntropyInputs(const int64_t* host_targets, const float* class_weights, int64_t rows,
                     int64_t classes)
      : targets(rows) {
    NN_CUDA_CHECK(
        cudaMemcpy(targets.get(), host_targets, sizeof(int64_t) * rows, cudaMemcpyHostToDevice));
    if (class_weights != nullptr) {
      host_weights.resize(classes);
      NN_CUDA_CHECK(cudaMemcpy(host_weights.data(), class_weights, sizeof(float) * classes,
                               cudaMemcpyDeviceToHost));
    }
  }
  const float* weights() const { return host_weights.empty() ? nullptr : host_weights.data(); }
};

}  // namespace

double CrossEntropy(const float* logits, const int64_t* targets, const float* class_weights,
                    int64_t rows, int64_t classes, float label_smoothing, int64_t ignore_index) {
  if (rows == 0) return std::numeric_limits<double>::quiet_NaN();
  const CrossEntropyInputs inputs(targets, class_weights, rows, classes);
  const DeviceBuffer<double> terms(rows);
  CrossEntropyTermsKernel<<<BlocksFor(rows), kThreadsPerBlock>>>(
      logits, inputs.targets.get(), class_weights, rows, classes, label_smoothing, ignore_index,
      terms.get());
  NN_CUDA_CHECK(cudaGetLastError());
  std::vector<double> host(rows);
  NN_CUDA_CHECK(
      cudaMemcpy(host.data(), terms.get(), sizeof(double) * rows, cudaMemcpyDeviceToHost));
  double sum = 0;
  for (double term : host) sum += term;
  // All rows ignored: 0 / 0 = NaN, as the CPU.
  return sum / cpu::TargetWeightSum(targets, inputs.weights(), rows, ignore_index);
}

void CrossEntropyBackward(const float* logits, const int64_t* targets, const float* class_weights,
                          int64_t rows, int64_t classes, float label_smoothing,
                          int64_t ignore_index, float dloss, float* dlogits) {
  if (rows == 0) return;
  const CrossEntropyInputs inputs(targets, class_weights, rows, classes);
  double weight_sum = classes;
  if (inputs.weights() != nullptr) {
    weight_sum = 0;
    for (float w : inputs.host_weights) weight_sum += w;
  }
  const double scale = dloss / cpu::TargetWeightSum(targets, inputs.weights(), rows, ignore_index);
  CrossEntropyBackwardKernel<<<BlocksFor(rows), kThreadsPerBlock>>>(
      logits, inputs.targets.get(), class_weights, rows, classes, label_smoothing, ignore_index,
      scale, weight_sum, dlogits);
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
