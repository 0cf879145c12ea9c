// Row-major SGEMM (Eigen's, for this CPU's instruction set) and its tiled parallel form.
#include "nn/cpu/gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "base/thread_pool.h"
#include "nn/check.h"
#include "nn/cpu/gemm_eigen.h"
#include "nn/cpu/gemm_nn.h"
#include "nn/cpu/scratch.h"

namespace nn::cpu {
namespace {

using SgemmFn = void (*)(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                         const float*, int64_t, float, float*, int64_t);

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
  if (k == 0) {  // C = beta * C (beta == 0: C may hold anything, NaN included)
    for (int64_t i = 0; i < m; ++i) {
      float* row = c + i * ldc;
      for (int64_t j = 0; j < n; ++j) row[j] = beta == 0.0f ? 0.0f : beta * row[j];
    }
    return;
  }
  const SgemmFn fn = UseAvx512Kernels() ? internal::SgemmEigenAvx512 : internal::SgemmEigenAvx2;
  fn(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void SgemmNN(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
             int64_t ldb, float* c, int64_t ldc, const RowEpilogue& epilogue,
             const ColumnBlocks& blocks) {
  NN_CHECK(m >= 0 && n >= 0 && k >= 0 && blocks.count >= 0)
      << "SgemmNN: m=" << m << " n=" << n << " k=" << k << " blocks=" << blocks.count;
  NN_CHECK(ldc >= n && lda >= k && ldb >= n && (epilogue.residual == nullptr || epilogue.ldr >= n))
      << "SgemmNN: leading dimensions lda=" << lda << " ldb=" << ldb << " ldc=" << ldc
      << " ldr=" << epilogue.ldr << " for m=" << m << " n=" << n << " k=" << k;
  if (m == 0 || n == 0 || blocks.count == 0) return;
  if (k == 0) {  // C = epilogue(0)
    for (int64_t s = 0; s < blocks.count; ++s) {
      const float* residual =
          epilogue.residual != nullptr ? epilogue.residual + s * blocks.r_stride : nullptr;
      float* cs = c + s * blocks.c_stride;
      for (int64_t i = 0; i < m; ++i) {
        const float scale = epilogue.scale != nullptr ? epilogue.scale[i] : 1.0f;
        const float bias = epilogue.bias != nullptr ? epilogue.bias[i] : 0.0f;
        for (int64_t j = 0; j < n; ++j) {
          float v = 0.0f * scale + bias;
          if (residual != nullptr) v += residual[i * epilogue.ldr + j];
          cs[i * ldc + j] = epilogue.relu ? std::max(v, 0.0f) : v;
        }
      }
    }
    return;
  }
  ScratchBuffer work;
  (UseAvx512Kernels() ? internal::GemmNnAvx512 : internal::GemmNnAvx2)(
      m, n, k, a, lda, b, ldb, c, ldc, epilogue, blocks,
      work.Floats(internal::GemmNnWorkspaceFloats(m, n, blocks.count)));
}

bool UseAvx512Kernels() {
  static const bool use = [] {
    const char* isa = std::getenv("NN_CPU_ISA");
    return internal::CpuHasAvx512() && !(isa != nullptr && std::strcmp(isa, "avx2") == 0);
  }();
  return use;
}

const char* SgemmIsa() { return UseAvx512Kernels() ? "avx512" : "avx2"; }

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
