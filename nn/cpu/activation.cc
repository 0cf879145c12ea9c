// Activation CPU kernels: elementwise loops split by ParallelFor, row-wise softmax with a
// max shift and double-precision sums. Each index owns its output, so results do not
// depend on the thread count.
#include "nn/cpu/activation.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/thread_pool.h"

namespace nn::cpu {
namespace {

// Elementwise work smaller than this runs on one thread.
constexpr int64_t kMinElementsPerThread = 1 << 15;

int64_t MinRowsPerThread(int64_t cols) {
  return std::max<int64_t>(1, kMinElementsPerThread / std::max<int64_t>(cols, 1));
}

float RowMax(const float* x, int64_t cols) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < cols; ++j) m = std::max(m, x[j]);
  return m;
}

}  // namespace

void Relu(const float* x, float* y, int64_t n) {
  base::ParallelFor(
      n,
      [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          const float v = x[i];
          y[i] = (v > 0.0f || std::isnan(v)) ? v : 0.0f;
        }
      },
      kMinElementsPerThread);
}

// d relu(x)/dx = 1 for x > 0, 0 otherwise (PyTorch's threshold_backward: 0 at x == 0).
void ReluBackward(const float* dy, const float* mask, float* dx, int64_t n) {
  base::ParallelFor(
      n,
      [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) dx[i] += mask[i] > 0.0f ? dy[i] : 0.0f;
      },
      kMinElementsPerThread);
}

void ReluMaskInPlace(const float* mask, float* g, int64_t n) {
  base::ParallelFor(
      n,
      [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) g[i] = mask[i] > 0.0f ? g[i] : 0.0f;
      },
      kMinElementsPerThread);
}

void Sigmoid(const float* x, float* y, int64_t n) {
  base::ParallelFor(
      n,
      [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          // exp of a non-positive argument only: no overflow for large |x|.
          const float v = x[i];
          if (v >= 0.0f) {
            y[i] = 1.0f / (1.0f + std::exp(-v));
          } else {
            const float e = std::exp(v);
            y[i] = e / (1.0f + e);
          }
        }
      },
      kMinElementsPerThread);
}

// sigma'(x) = sigma(x) (1 - sigma(x)) = y (1 - y).
void SigmoidBackward(const float* dy, const float* y, float* dx, int64_t n) {
  base::ParallelFor(
      n,
      [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) dx[i] += dy[i] * y[i] * (1.0f - y[i]);
      },
      kMinElementsPerThread);
}

void Softmax(const float* x, float* y, int64_t rows, int64_t cols) {
  base::ParallelFor(
      rows,
      [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          const float* xr = x + r * cols;
          float* yr = y + r * cols;
          const float m = RowMax(xr, cols);
          double sum = 0;
          for (int64_t j = 0; j < cols; ++j) {
            yr[j] = std::exp(xr[j] - m);
            sum += yr[j];
          }
          const float inv = static_cast<float>(1.0 / sum);
          for (int64_t j = 0; j < cols; ++j) yr[j] *= inv;
        }
      },
      MinRowsPerThread(cols));
}

// y_i = exp(x_i) / sum_k exp(x_k): dy_i/dx_j = y_i (delta_ij - y_j), so
// dx_j = sum_i dy_i y_i (delta_ij - y_j) = y_j (dy_j - sum_i dy_i y_i).
void SoftmaxBackward(const float* dy, const float* y, float* dx, int64_t rows, int64_t cols) {
  base::ParallelFor(
      rows,
      [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          const float* dyr = dy + r * cols;
          const float* yr = y + r * cols;
          float* dxr = dx + r * cols;
          double dot = 0;
          for (int64_t j = 0; j < cols; ++j) dot += static_cast<double>(dyr[j]) * yr[j];
          const float dotf = static_cast<float>(dot);
          for (int64_t j = 0; j < cols; ++j) dxr[j] += yr[j] * (dyr[j] - dotf);
        }
      },
      MinRowsPerThread(cols));
}

void LogSoftmax(const float* x, float* y, int64_t rows, int64_t cols) {
  base::ParallelFor(
      rows,
      [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          const float* xr = x + r * cols;
          float* yr = y + r * cols;
          const float m = RowMax(xr, cols);
          double sum = 0;
          for (int64_t j = 0; j < cols; ++j) sum += std::exp(static_cast<double>(xr[j] - m));
          // (x - m) first: exact for the largest logits, whatever their magnitude.
          const float log_sum = static_cast<float>(std::log(sum));
          for (int64_t j = 0; j < cols; ++j) yr[j] = (xr[j] - m) - log_sum;
        }
      },
      MinRowsPerThread(cols));
}

// y_i = x_i - log sum_k exp(x_k): dy_i/dx_j = delta_ij - softmax_j, so
// dx_j = dy_j - softmax_j * sum_i dy_i, with softmax_j = exp(y_j).
void LogSoftmaxBackward(const float* dy, const float* y, float* dx, int64_t rows, int64_t cols) {
  base::ParallelFor(
      rows,
      [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          const float* dyr = dy + r * cols;
          const float* yr = y + r * cols;
          float* dxr = dx + r * cols;
          double sum = 0;
          for (int64_t j = 0; j < cols; ++j) sum += dyr[j];
          const float sumf = static_cast<float>(sum);
          for (int64_t j = 0; j < cols; ++j) dxr[j] += dyr[j] - std::exp(yr[j]) * sumf;
        }
      },
      MinRowsPerThread(cols));
}

}  // namespace nn::cpu
