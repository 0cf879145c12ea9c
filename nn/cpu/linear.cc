// Linear CPU kernels: Eigen GEMM on row-major maps of the caller's buffers (no copies).
#include "nn/cpu/linear.h"

#include <Eigen/Core>

namespace nn::cpu {
namespace {

using RowMajorMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMatrixMap = Eigen::Map<const RowMajorMatrix>;
using MatrixMap = Eigen::Map<RowMajorMatrix>;
using ConstRowVectorMap = Eigen::Map<const Eigen::RowVectorXf>;
using RowVectorMap = Eigen::Map<Eigen::RowVectorXf>;

}  // namespace

void LinearForward(const float* x, const float* w, const float* b, int64_t rows, int64_t in,
                   int64_t out, float* y) {
  MatrixMap y_mat(y, rows, out);
  y_mat.noalias() = ConstMatrixMap(x, rows, in) * ConstMatrixMap(w, out, in).transpose();
  if (b != nullptr) y_mat.rowwise() += ConstRowVectorMap(b, out);
}

// y = x W^T + b:
//   dX = dY W        [rows, in]
//   dW = dY^T X      [out, in]
//   db = sum_rows dY [out]
void LinearBackward(const float* dy, const float* x, const float* w, int64_t rows, int64_t in,
                    int64_t out, float* dx, float* dw, float* db) {
  const ConstMatrixMap dy_mat(dy, rows, out);
  if (dx != nullptr) MatrixMap(dx, rows, in).noalias() += dy_mat * ConstMatrixMap(w, out, in);
  if (dw != nullptr) {
    MatrixMap(dw, out, in).noalias() += dy_mat.transpose() * ConstMatrixMap(x, rows, in);
  }
  if (db != nullptr) RowVectorMap(db, out) += dy_mat.colwise().sum();
}

}  // namespace nn::cpu
