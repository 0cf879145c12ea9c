// Eigen-backed row-major SGEMM and its tiled parallel form.
#include "nn/cpu/gemm.h"

#include <Eigen/Core>
#include <algorithm>

#include "base/thread_pool.h"
#include "nn/check.h"

namespace nn::cpu {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;
using MutableMap = Eigen::Map<RowMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;

template <typename LhsT, typename RhsT>
void Product(const LhsT& lhs, const RhsT& rhs, float alpha, float beta, MutableMap& c) {
  if (beta == 0.0f) {
    c.noalias() = alpha * lhs * rhs;
  } else {
    if (beta != 1.0f) c *= beta;
    c.noalias() += alpha * lhs * rhs;
  }
}

// Tile edge of ParallelSgemm: large enough that Eigen's packing is amortized, small enough
// that ResNeXt's layers split into several tiles per thread.
constexpr int64_t kTileRows = 256;
constexpr int64_t kTileCols = 512;

}  // namespace

void Sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  NN_CHECK(m >= 0 && n >= 0 && k >= 0) << "Sgemm: m=" << m << " n=" << n << " k=" << k;
  NN_CHECK(ldc >= n && lda >= (trans_a ? m : k) && ldb >= (trans_b ? k : n))
      << "Sgemm: leading dimensions lda=" << lda << " ldb=" << ldb << " ldc=" << ldc
      << " for m=" << m << " n=" << n << " k=" << k << " trans_a=" << trans_a
      << " trans_b=" << trans_b;
  if (m == 0 || n == 0) return;
  MutableMap cm(c, m, n, Eigen::OuterStride<>(ldc));
  if (k == 0) {
    if (beta == 0.0f) {
      cm.setZero();
    } else {
      cm *= beta;
    }
    return;
  }
  // A row-major [k, m] matrix viewed transposed is op(A) = A^T without a copy.
  const ConstMap am(a, trans_a ? k : m, trans_a ? m : k, Eigen::OuterStride<>(lda));
  const ConstMap bm(b, trans_b ? n : k, trans_b ? k : n, Eigen::OuterStride<>(ldb));
  if (!trans_a && !trans_b) {
    Product(am, bm, alpha, beta, cm);
  } else if (!trans_a && trans_b) {
    Product(am, bm.transpose(), alpha, beta, cm);
  } else if (trans_a && !trans_b) {
    Product(am.transpose(), bm, alpha, beta, cm);
  } else {
    Product(am.transpose(), bm.transpose(), alpha, beta, cm);
  }
}

void ParallelSgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                   const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                   int64_t ldc) {
  const int64_t row_tiles = std::max<int64_t>(1, (m + kTileRows - 1) / kTileRows);
  const int64_t col_tiles = std::max<int64_t>(1, (n + kTileCols - 1) / kTileCols);
  base::ParallelFor(row_tiles * col_tiles, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t i0 = (t / col_tiles) * kTileRows;
      const int64_t j0 = (t % col_tiles) * kTileCols;
      const int64_t rows = std::min(kTileRows, m - i0);
      const int64_t cols = std::min(kTileCols, n - j0);
      if (rows <= 0 || cols <= 0) continue;
      // Row i of op(A) starts at a + i*lda (A) or a + i (A^T); column j of op(B) likewise.
      const float* a_tile = trans_a ? a + i0 : a + i0 * lda;
      const float* b_tile = trans_b ? b + j0 * ldb : b + j0;
      Sgemm(trans_a, trans_b, rows, cols, k, alpha, a_tile, lda, b_tile, ldb, beta,
            c + i0 * ldc + j0, ldc);
    }
  });
}

}  // namespace nn::cpu
