// The fully connected layer on cuBLAS. cuBLAS is column-major: a row-major [r, c] array is
// its [c, r] matrix, the transpose. So, with every array row-major:
//   y [rows, out] = x w^T      is  y^T (out x rows)  = op_T(w^T) * x^T : Sgemm(T, N, out, rows, in)
//   dx [rows, in] += dy w      is  dx^T (in x rows) += w^T * dy^T     : Sgemm(N, N, in, rows, out)
//   dw [out, in] += dy^T x     is  dw^T (in x out)  += x^T * op_T(dy^T): Sgemm(N, T, in, out, rows)
// and the bias terms are small kernels (broadcast add; column sums of dy, one thread each).
#include <cuda_runtime.h>

#include "nn/cuda/cublas_handle.h"
#include "nn/cuda/cuda_check.h"
#include "nn/cuda/launch.h"
#include "nn/cuda/linear.h"

namespace nn::cuda {
namespace {

__global__ void AddBiasKernel(const float* b, float* y, int64_t out, int64_t n) {
  NN_CUDA_GRID_STRIDE(i, n) { y[i] += b[i % out]; }
}

// db[o] += sum_r dy[r, o], in row order (as the CPU), one thread per output.
__global__ void ColumnSumsKernel(const float* dy, int64_t rows, int64_t out, float* db) {
  NN_CUDA_GRID_STRIDE(o, out) {
    double sum = 0;
    for (int64_t r = 0; r < rows; ++r) sum += dy[r * out + o];
    db[o] += static_cast<float>(sum);
  }
}

int Int(int64_t v) {
  NN_CHECK(v >= 0 && v <= INT32_MAX) << "dimension " << v << " exceeds cuBLAS's int range";
  return static_cast<int>(v);
}

}  // namespace

void LinearForward(const float* x, const float* w, const float* b, int64_t rows, int64_t in,
                   int64_t out, float* y) {
  if (rows == 0 || out == 0) return;
  const float one = 1.0f, zero = 0.0f;
  if (in == 0) {
    NN_CUDA_CHECK(cudaMemset(y, 0, sizeof(float) * rows * out));
  } else {
    NN_CUBLAS_CHECK(cublasSgemm(CublasHandle(), CUBLAS_OP_T, CUBLAS_OP_N, Int(out), Int(rows),
                                Int(in), &one, w, Int(in), x, Int(in), &zero, y, Int(out)));
  }
  if (b != nullptr) {
    AddBiasKernel<<<BlocksFor(rows * out), kThreadsPerBlock>>>(b, y, out, rows * out);
    NN_CUDA_CHECK(cudaGetLastError());
  }
}

void LinearBackward(const float* dy, const float* x, const float* w, int64_t rows, int64_t in,
                    int64_t out, float* dx, float* dw, float* db) {
  const float one = 1.0f;
  if (dx != nullptr && rows > 0 && in > 0 && out > 0) {
    NN_CUBLAS_CHECK(cublasSgemm(CublasHandle(), CUBLAS_OP_N, CUBLAS_OP_N, Int(in), Int(rows),
                                Int(out), &one, w, Int(in), dy, Int(out), &one, dx, Int(in)));
  }
  if (dw != nullptr && rows > 0 && in > 0 && out > 0) {
    NN_CUBLAS_CHECK(cublasSgemm(CublasHandle(), CUBLAS_OP_N, CUBLAS_OP_T, Int(in), Int(out),
                                Int(rows), &one, x, Int(in), dy, Int(out), &one, dw, Int(in)));
  }
  if (db != nullptr && out > 0) {
    ColumnSumsKernel<<<BlocksFor(out), kThreadsPerBlock>>>(dy, rows, out, db);
    NN_CUDA_CHECK(cudaGetLastError());
  }
}

}  // namespace nn::cuda
