// The two instruction-set copies of Eigen's SGEMM (gemm_eigen.h): the same products within
// float rounding, on odd shapes, every transpose and beta; and Sgemm runs the one the CPU
// supports.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "nn/cpu/gemm.h"
#include "nn/cpu/gemm_eigen.h"

namespace nn::cpu {
namespace {

std::vector<float> Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

TEST(GemmIsaTest, Avx512AndAvx2CopiesAgree) {
  if (!internal::CpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512";
  struct Case {
    int64_t m, n, k;
  };
  for (const Case& s : {Case{1, 1, 1}, Case{7, 13, 5}, Case{64, 33, 129}, Case{257, 511, 67},
                        Case{3, 1000, 2048}}) {
    for (int t = 0; t < 4; ++t) {
      const bool ta = t & 1, tb = t & 2;
      for (float beta : {0.0f, 1.0f, 0.5f}) {
        SCOPED_TRACE(testing::Message() << s.m << "x" << s.n << "x" << s.k << " ta " << ta
                                        << " tb " << tb << " beta " << beta);
        const int64_t lda = (ta ? s.m : s.k) + 3, ldb = (tb ? s.k : s.n) + 1, ldc = s.n + 2;
        const std::vector<float> a = Random((ta ? s.k : s.m) * lda, 1);
        const std::vector<float> b = Random((tb ? s.n : s.k) * ldb, 2);
        std::vector<float> c2 = Random(s.m * ldc, 3), c5 = c2;
        internal::SgemmEigenAvx2(ta, tb, s.m, s.n, s.k, 0.75f, a.data(), lda, b.data(), ldb, beta,
                                 c2.data(), ldc);
        internal::SgemmEigenAvx512(ta, tb, s.m, s.n, s.k, 0.75f, a.data(), lda, b.data(), ldb,
                                   beta, c5.data(), ldc);
        double worst = 0;
        for (int64_t i = 0; i < s.m; ++i) {
          for (int64_t j = 0; j < ldc; ++j) {
            const float x = c2[i * ldc + j], y = c5[i * ldc + j];
            if (j >= s.n) {
              ASSERT_EQ(std::memcmp(&x, &y, sizeof(float)), 0) << "padding written";
              continue;
            }
            worst = std::max(worst, std::abs(double{x} - y) / (1.0 + std::sqrt(double(s.k))));
          }
        }
        EXPECT_LT(worst, 1e-5);
      }
    }
  }
}

TEST(GemmIsaTest, SgemmRunsWhatTheCpuSupports) {
  const std::string isa = SgemmIsa();
  const char* forced = std::getenv("NN_CPU_ISA");
  if (!internal::CpuHasAvx512() || (forced != nullptr && std::string(forced) == "avx2")) {
    EXPECT_EQ(isa, "avx2");
  } else {
    EXPECT_EQ(isa, "avx512");
  }
  float c = 7;
  const float a = 2, b = 3;
  Sgemm(false, false, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1);
  EXPECT_EQ(c, 6.0f);
  Sgemm(false, false, 1, 1, 0, 1.0f, &a, 1, &b, 1, 0.5f, &c, 1);  // k = 0: C = beta * C
  EXPECT_EQ(c, 3.0f);
}

}  // namespace
}  // namespace nn::cpu
