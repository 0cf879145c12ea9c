// The flat convolution kernel's two copies (flat_correlate.h): a double-precision reference,
// the same bits from AVX2 and AVX-512 on every block shape, and nothing written or needed
// past the documented slack.
#include "nn/cpu/flat_correlate.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "nn/cpu/gemm.h"

namespace nn::cpu::internal {
namespace {

using Kernel = void (*)(const float*, int64_t, int64_t, const int64_t*, int64_t, const float*,
                        int64_t, int64_t, int64_t, float*, int64_t);

struct Case {
  int64_t channels, taps, rows, len;
};

int64_t RoundUp(int64_t a, int64_t b) { return (a + b - 1) / b * b; }

class FlatCorrelateTest : public ::testing::TestWithParam<Case> {};

// Runs `kernel` on random data; the input ends exactly where the kernel may stop reading
// (so a read past it is a heap overflow that ASan or a crash shows), and a sentinel fills
// each output row past the slack.
std::vector<float> RunKernel(Kernel kernel, const Case& c, std::vector<double>* reference) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::vector<int64_t> shift(c.taps);
  for (int64_t t = 0; t < c.taps; ++t) shift[t] = (t * 7) % 23;
  const int64_t max_shift = 22;
  const int64_t padded = RoundUp(c.len, kFlatCorrelateSlack);
  const int64_t in_stride = c.len + 5;  // planes overlap the next one's reads, as in conv.cc
  std::vector<float> in((c.channels - 1) * in_stride + max_shift + padded);
  for (float& v : in) v = value(rng);
  std::vector<float> w(c.rows * c.channels * c.taps);
  for (float& v : w) v = value(rng);
  const int64_t ldo = padded + 16;
  const float sentinel = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> out(c.rows * ldo, sentinel);
  kernel(in.data(), in_stride, c.channels, shift.data(), c.taps, w.data(), c.channels * c.taps,
         c.rows, c.len, out.data(), ldo);
  reference->assign(c.rows * c.len, 0.0);
  for (int64_t r = 0; r < c.rows; ++r) {
    for (int64_t i = 0; i < c.len; ++i) {
      double sum = 0;
      for (int64_t ch = 0; ch < c.channels; ++ch) {
        for (int64_t t = 0; t < c.taps; ++t) {
          sum += static_cast<double>(w[(r * c.channels + ch) * c.taps + t]) *
                 in[ch * in_stride + shift[t] + i];
        }
      }
      (*reference)[r * c.len + i] = sum;
    }
    for (int64_t i = padded; i < ldo; ++i) {
      EXPECT_TRUE(std::isnan(out[r * ldo + i])) << "row " << r << " written at " << i;
    }
  }
  std::vector<float> result(c.rows * c.len);
  for (int64_t r = 0; r < c.rows; ++r) {
    for (int64_t i = 0; i < c.len; ++i) result[r * c.len + i] = out[r * ldo + i];
  }
  return result;
}

TEST_P(FlatCorrelateTest, MatchesTheReferenceAndTheCopiesAgreeBitForBit) {
  const Case& c = GetParam();
  std::vector<double> reference;
  const std::vector<float> avx2 = RunKernel(FlatCorrelateAvx2, c, &reference);
  const double tolerance = 1e-5 * c.channels * c.taps;
  for (size_t i = 0; i < avx2.size(); ++i) ASSERT_NEAR(avx2[i], reference[i], tolerance) << i;
  if (!UseAvx512Kernels()) GTEST_SKIP() << "no AVX-512 on this CPU (or NN_CPU_ISA=avx2)";
  const std::vector<float> avx512 = RunKernel(FlatCorrelateAvx512, c, &reference);
  for (size_t i = 0; i < avx2.size(); ++i) ASSERT_EQ(avx512[i], avx2[i]) << i;
}

// Rows 1-7 (every remainder of 4), lengths around each block width (8, 16, 24, 32, 48).
INSTANTIATE_TEST_SUITE_P(Shapes, FlatCorrelateTest,
                         ::testing::Values(Case{1, 1, 1, 1}, Case{4, 9, 4, 7}, Case{4, 9, 5, 8},
                                           Case{3, 9, 6, 16}, Case{8, 9, 7, 17},
                                           Case{2, 4, 3, 40}, Case{4, 9, 4, 63},
                                           Case{16, 9, 4, 200}, Case{3, 49, 2, 3248},
                                           Case{5, 1, 9, 97}));

}  // namespace
}  // namespace nn::cpu::internal
