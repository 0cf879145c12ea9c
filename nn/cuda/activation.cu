// Activation CUDA kernels: elementwise ones in grid-stride loops; the row-wise softmax and
// log-softmax with one block per row (grid-stride over rows), reducing the row's maximum
// and sums in shared memory (sums in double, as the CPU kernels).
#include <cuda_runtime.h>

#include <cmath>

#include "nn/cuda/activation.h"
#include "nn/cuda/block_reduce.h"
#include "nn/cuda/cuda_check.h"
#include "nn/cuda/launch.h"

namespace nn::cuda {
namespace {

__global__ void ReluKernel(const float* x, float* y, int64_t n) {
  NN_CUDA_GRID_STRIDE(i, n) {
    const float v = x[i];
    y[i] = (v > 0.0f || isnan(v)) ? v : 0.0f;
  }
}

__global__ void ReluBackwardKernel(const float* dy, const float* mask, float* dx, int64_t n) {
  NN_CUDA_GRID_STRIDE(i, n) { dx[i] += mask[i] > 0.0f ? dy[i] : 0.0f; }
}

__global__ void ReluMaskInPlaceKernel(const float* mask, float* g, int64_t n) {
  NN_CUDA_GRID_STRIDE(i, n) { g[i] = mask[i] > 0.0f ? g[i] : 0.0f; }
}

__global__ void SigmoidKernel(const float* x, float* y, int64_t n) {
  NN_CUDA_GRID_STRIDE(i, n) {
    const float v = x[i];  // exp of a non-positive argument only
    if (v >= 0.0f) {
      y[i] = 1.0f / (1.0f + expf(-v));
    } else {
      const float e = expf(v);
      y[i] = e / (1.0f + e);
    }
  }
}

__global__ void SigmoidBackwardKernel(const float* dy, const float* y, float* dx, int64_t n) {
  NN_CUDA_GRID_STRIDE(i, n) { dx[i] += dy[i] * y[i] * (1.0f - y[i]); }
}

__device__ float RowMax(const float* x, int64_t cols) {
  float m = -INFINITY;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) m = fmaxf(m, x[j]);
  return BlockMax(m);
}

// Rows by blocks (grid-stride), columns by the block's threads.
#define NN_CUDA_ROWS(r, rows) for (int64_t r = blockIdx.x; r < (rows); r += gridDim.x)
#define NN_CUDA_COLS(j, cols) for (int64_t j = threadIdx.x; j < (cols); j += blockDim.x)

__global__ void SoftmaxKernel(const float* x, float* y, int64_t rows, int64_t cols) {
  NN_CUDA_ROWS(r, rows) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    const float m = RowMax(xr, cols);
    double sum = 0;
    NN_CUDA_COLS(j, cols) {
      yr[j] = expf(xr[j] - m);
      sum += yr[j];
    }
    const float inv = static_cast<float>(1.0 / BlockSum(sum));
    NN_CUDA_COLS(j, cols) { yr[j] *= inv; }
  }
}

__global__ void SoftmaxBackwardKernel(const float* dy, const float* y, float* dx, int64_t rows,
                                      int64_t cols) {
  NN_CUDA_ROWS(r, rows) {
    const float *dyr = dy + r * cols, *yr = y + r * cols;
    float* dxr = dx + r * cols;
    double dot = 0;
    NN_CUDA_COLS(j, cols) { dot += static_cast<double>(dyr[j]) * yr[j]; }
    const float dotf = static_cast<float>(BlockSum(dot));
    NN_CUDA_COLS(j, cols) { dxr[j] += yr[j] * (dyr[j] - dotf); }
  }
}

__global__ void LogSoftmaxKernel(const float* x, float* y, int64_t rows, int64_t cols) {
  NN_CUDA_ROWS(r, rows) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    const float m = RowMax(xr, cols);
    double sum = 0;
    NN_CUDA_COLS(j, cols) { sum += exp(static_cast<double>(xr[j] - m)); }
    const float log_sum = static_cast<float>(log(BlockSum(sum)));
    NN_CUDA_COLS(j, cols) { yr[j] = (xr[j] - m) - log_sum; }
  }
}

__global__ void LogSoftmaxBackwardKernel(const float* dy, const float* y, float* dx, int64_t rows,
                                         int64_t cols) {
  NN_CUDA_ROWS(r, rows) {
    const float *dyr = dy + r * cols, *yr = y + r * cols;
    float* dxr = dx + r * cols;
    double sum = 0;
    NN_CUDA_COLS(j, cols) { sum += dyr[j]; }
    const float sumf = static_cast<float>(BlockSum(sum));
    NN_CUDA_COLS(j, cols) { dxr[j] += dyr[j] - expf(yr[j]) * sumf; }
  }
}

int RowBlocks(int64_t rows) {
  return static_cast<int>(rows < 65535 ? (rows > 0 ? rows : 1) : 65535);
}

}  // namespace

#define NN_CUDA_ELEMENTWISE_LAUNCH(kernel, n, ...)                \
  do {                                                            \
    if ((n) == 0) return;                                         \
    kernel<<<BlocksFor(n), kThreadsPerBlock>>>(__VA_ARGS__, (n)); \
    NN_CUDA_CHECK(cudaGetLastError());                            \
  } while (0)
#define NN_CUDA_ROWS_LAUNCH(kernel, rows, cols, ...)                            \
  do {                                                                          \
    if ((rows) == 0 || (cols) == 0) return;                                     \
    kernel<<<RowBlocks(rows), kThreadsPerBlock>>>(__VA_ARGS__, (rows), (cols)); \
    NN_CUDA_CHECK(cudaGetLastError());                                          \
  } while (0)

void Relu(const float* x, float* y, int64_t n) { NN_CUDA_ELEMENTWISE_LAUNCH(ReluKernel, n, x, y); }
void ReluBackward(const float* dy, const float* mask, float* dx, int64_t n) {
  NN_CUDA_ELEMENTWISE_LAUNCH(ReluBackwardKernel, n, dy, mask, dx);
}
void ReluMaskInPlace(const float* mask, float* g, int64_t n) {
  NN_CUDA_ELEMENTWISE_LAUNCH(ReluMaskInPlaceKernel, n, mask, g);
}
void Sigmoid(const float* x, float* y, int64_t n) {
  NN_CUDA_ELEMENTWISE_LAUNCH(SigmoidKernel, n, x, y);
}
void SigmoidBackward(const float* dy, const float* y, float* dx, int64_t n) {
  NN_CUDA_ELEMENTWISE_LAUNCH(SigmoidBackwardKernel, n, dy, y, dx);
}
void Softmax(const float* x, float* y, int64_t rows, int64_t cols) {
  NN_CUDA_ROWS_LAUNCH(SoftmaxKernel, rows, cols, x, y);
}
void SoftmaxBackward(const float* dy, const float* y, float* dx, int64_t rows, int64_t cols) {
  NN_CUDA_ROWS_LAUNCH(SoftmaxBackwardKernel, rows, cols, dy, y, dx);
}
void LogSoftmax(const float* x, float* y, int64_t rows, int64_t cols) {
  NN_CUDA_ROWS_LAUNCH(LogSoftmaxKernel, rows, cols, x, y);
}
void LogSoftmaxBackward(const float* dy, const float* y, float* dx, int64_t rows, int64_t cols) {
  NN_CUDA_ROWS_LAUNCH(LogSoftmaxBackwardKernel, rows, cols, dy, y, dx);
}

}  // namespace nn::cuda
