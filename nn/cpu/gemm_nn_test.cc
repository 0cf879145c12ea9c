// SgemmNN and its kernel's two copies (gemm_nn.h): a double-precision reference with every
// epilogue, the same bits from AVX2 and AVX-512 and from any column tiling, and nothing
// written outside C's n columns.
#include "nn/cpu/gemm_nn.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "nn/cpu/gemm.h"
#include "nn/cpu/gemm_eigen.h"

namespace nn::cpu::internal {
namespace {

using Kernel = void (*)(int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t,
                        float*, int64_t, const RowEpilogue&, const ColumnBlocks&, float*);

struct Case {
  int64_t m, n, k;
  bool scale, bias, residual, relu;
};

struct Problem {
  Problem(const Case& c) : c(c), lda(c.k + 3), ldb(c.n + 5), ldc(c.n + 7), ldr(c.n + 2) {
    std::mt19937 rng(c.m * 1000003 + c.n * 1009 + c.k);
    std::uniform_real_distribution<float> value(-1.0f, 1.0f);
    // B ends at its last element: a read past row k-1's n columns overflows the heap.
    a.resize(c.m * lda);
    b.resize((c.k - 1) * ldb + c.n);
    scale.resize(c.m);
    bias.resize(c.m);
    residual.resize(c.m * ldr);
    for (auto* v : {&a, &b, &scale, &bias, &residual}) {
      for (float& x : *v) x = value(rng);
    }
  }
  RowEpilogue Epilogue() const {
    return {c.scale ? scale.data() : nullptr, c.bias ? bias.data() : nullptr,
            c.residual ? residual.data() : nullptr, ldr, c.relu};
  }
  double Reference(int64_t i, int64_t j) const {
    double sum = 0;
    for (int64_t p = 0; p < c.k; ++p) sum += double{a[i * lda + p]} * b[p * ldb + j];
    if (c.scale) sum *= scale[i];
    if (c.bias) sum += bias[i];
    if (c.residual) sum += residual[i * ldr + j];
    return c.relu ? std::max(sum, 0.0) : sum;
  }
  // C from `kernel`, with NaN sentinels in the columns past n.
  std::vector<float> Run(Kernel kernel) const {
    std::vector<float> out(c.m * ldc, std::numeric_limits<float>::quiet_NaN());
    std::vector<float> work(GemmNnWorkspaceFloats(c.m, c.n, 1));
    kernel(c.m, c.n, c.k, a.data(), lda, b.data(), ldb, out.data(), ldc, Epilogue(), {},
           work.data());
    return out;
  }
  Case c;
  int64_t lda, ldb, ldc, ldr;
  std::vector<float> a, b, scale, bias, residual;
};

class GemmNnTest : public ::testing::TestWithParam<Case> {};

void ExpectMatchesReference(const Problem& p, const std::vector<float>& out) {
  for (int64_t i = 0; i < p.c.m; ++i) {
    for (int64_t j = 0; j < p.ldc; ++j) {
      const float got = out[i * p.ldc + j];
      if (j >= p.c.n) {
        ASSERT_TRUE(std::isnan(got)) << "wrote past n at row " << i << " column " << j;
        continue;
      }
      ASSERT_NEAR(got, p.Reference(i, j), 1e-5 * (1 + std::sqrt(double(p.c.k))))
          << "row " << i << " column " << j;
    }
  }
}

TEST_P(GemmNnTest, Avx2MatchesDoubleReference) {
  const Problem p(GetParam());
  ExpectMatchesReference(p, p.Run(GemmNnAvx2));
}

TEST_P(GemmNnTest, Avx512GivesTheSameBitsAsAvx2) {
  if (!CpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512 (F, DQ, BW, VL)";
  const Problem p(GetParam());
  const std::vector<float> avx2 = p.Run(GemmNnAvx2), avx512 = p.Run(GemmNnAvx512);
  ExpectMatchesReference(p, avx512);
  for (size_t i = 0; i < avx2.size(); ++i) {
    if (std::isnan(avx2[i]) && std::isnan(avx512[i])) continue;
    ASSERT_EQ(avx2[i], avx512[i]) << "element " << i;
  }
}

// SgemmNN on C in two column ranges equals it on the whole: callers may tile C freely.
TEST_P(GemmNnTest, ColumnTilingKeepsTheBits) {
  const Problem p(GetParam());
  if (p.c.n < 2) GTEST_SKIP() << "one column";
  const RowEpilogue e = p.Epilogue();
  std::vector<float> whole(p.c.m * p.ldc), tiled(p.c.m * p.ldc);
  SgemmNN(p.c.m, p.c.n, p.c.k, p.a.data(), p.lda, p.b.data(), p.ldb, whole.data(), p.ldc, e);
  const int64_t split = p.c.n / 2 + 3 < p.c.n ? p.c.n / 2 + 3 : 1;
  SgemmNN(p.c.m, split, p.c.k, p.a.data(), p.lda, p.b.data(), p.ldb, tiled.data(), p.ldc, e);
  RowEpilogue right = e;
  if (right.residual != nullptr) right.residual += split;
  SgemmNN(p.c.m, p.c.n - split, p.c.k, p.a.data(), p.lda, p.b.data() + split, p.ldb,
          tiled.data() + split, p.ldc, right);
  for (int64_t i = 0; i < p.c.m; ++i) {
    for (int64_t j = 0; j < p.c.n; ++j) {
      ASSERT_EQ(whole[i * p.ldc + j], tiled[i * p.ldc + j]) << "row " << i << " column " << j;
    }
  }
}

// Rows around the register blocks (4, 8), columns around vectors and panels (8, 16, 24,
// 48), depths around the depth block (128), and each epilogue term.
INSTANTIATE_TEST_SUITE_P(Shapes, GemmNnTest,
                         ::testing::Values(Case{1, 1, 1, false, false, false, false},
                                           Case{3, 7, 5, false, false, false, true},
                                           Case{8, 16, 128, true, false, false, false},
                                           Case{9, 49, 129, true, true, false, true},
                                           Case{13, 48, 64, false, true, true, false},
                                           Case{17, 100, 300, true, true, true, true},
                                           Case{7, 24, 256, false, false, true, true},
                                           Case{32, 196, 257, true, true, false, true},
                                           Case{5, 33, 1, true, true, true, false},
                                           Case{64, 131, 40, false, false, false, false}));

// Column blocks (a batch of images): each block's C equals a call on that block alone, bit
// for bit, on both instruction sets; the gaps between blocks are never written.
struct BlocksCase {
  int64_t m, n, k, count;
};

class GemmNnBlocksTest : public ::testing::TestWithParam<BlocksCase> {};

TEST_P(GemmNnBlocksTest, EachBlockEqualsItsOwnCall) {
  const BlocksCase bc = GetParam();
  const int64_t ldb = bc.n + 1, ldc = bc.n + 2, ldr = bc.n + 3;
  const ColumnBlocks blocks{bc.count, bc.k * ldb + 5, bc.m * ldc + 7, bc.m * ldr + 9};
  std::mt19937 rng(bc.m * 31 + bc.n * 7 + bc.k + bc.count);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::vector<float> a(bc.m * bc.k), b(bc.count * blocks.b_stride),
      residual(bc.count * blocks.r_stride);
  std::vector<float> scale(bc.m), bias(bc.m);
  for (auto* v : {&a, &b, &residual, &scale, &bias}) {
    for (float& x : *v) x = value(rng);
  }
  const RowEpilogue e{scale.data(), bias.data(), residual.data(), ldr, true};
  std::vector<float> work(GemmNnWorkspaceFloats(bc.m, bc.n, bc.count));
  std::vector<Kernel> kernels = {GemmNnAvx2};
  if (CpuHasAvx512()) kernels.push_back(GemmNnAvx512);
  for (Kernel kernel : kernels) {
    std::vector<float> all(bc.count * blocks.c_stride, std::numeric_limits<float>::quiet_NaN());
    kernel(bc.m, bc.n, bc.k, a.data(), bc.k, b.data(), ldb, all.data(), ldc, e, blocks,
           work.data());
    for (int64_t s = 0; s < bc.count; ++s) {
      RowEpilogue es = e;
      es.residual += s * blocks.r_stride;
      std::vector<float> one(bc.m * ldc);
      kernel(bc.m, bc.n, bc.k, a.data(), bc.k, b.data() + s * blocks.b_stride, ldb, one.data(), ldc,
             es, {}, work.data());
      for (int64_t i = 0; i < bc.m; ++i) {
        for (int64_t j = 0; j < ldc; ++j) {
          const float got = all[s * blocks.c_stride + i * ldc + j];
          if (j >= bc.n) {
            ASSERT_TRUE(std::isnan(got)) << "block " << s << " row " << i << " column " << j;
          } else {
            ASSERT_EQ(got, one[i * ldc + j]) << "block " << s << " row " << i << " column " << j;
          }
        }
      }
    }
  }
}

// Block widths around vectors and panels: 49 and 196 (ResNeXt's last stages at 224 px),
// 16 (a whole vector), 1 and 5 (only gathered columns), 100 (two panels and a rest).
INSTANTIATE_TEST_SUITE_P(Shapes, GemmNnBlocksTest,
                         ::testing::Values(BlocksCase{9, 49, 130, 16}, BlocksCase{16, 196, 64, 5},
                                           BlocksCase{8, 16, 20, 4}, BlocksCase{3, 1, 7, 50},
                                           BlocksCase{11, 5, 129, 3}, BlocksCase{5, 100, 33, 2},
                                           BlocksCase{4, 48, 10, 1}));

TEST(SgemmNNTest, ReluKeepsNaN) {
  const float a[1] = {1.0f}, b[2] = {std::numeric_limits<float>::quiet_NaN(), -2.0f};
  float c[2] = {0, 0};
  RowEpilogue e;
  e.relu = true;
  SgemmNN(1, 2, 1, a, 1, b, 2, c, 2, e);
  EXPECT_TRUE(std::isnan(c[0]));
  EXPECT_EQ(c[1], 0.0f);
}

TEST(SgemmNNTest, ZeroDepthIsTheEpilogueOfZero) {
  const float scale[2] = {2.0f, 3.0f}, bias[2] = {-1.0f, 0.5f}, residual[4] = {1, 2, 3, 4};
  float c[4];
  RowEpilogue e{scale, bias, residual, 2, true};
  SgemmNN(2, 2, 0, nullptr, 0, nullptr, 2, c, 2, e);
  EXPECT_EQ(c[0], 0.0f);
  EXPECT_EQ(c[1], 1.0f);
  EXPECT_EQ(c[2], 3.5f);
  EXPECT_EQ(c[3], 4.5f);
}

}  // namespace
}  // namespace nn::cpu::internal
