// BatchNorm2d: forward against a double-precision reference (batch and running statistics),
// finite-difference gradients in training and eval mode, BN folding, contract violations.
#include "nn/ops/batch_norm.h"

#include <cmath>
#include <vector>

#include "base/thread_pool.h"
#include "gtest/gtest.h"
#include "nn/testing/gradient_check.h"

namespace nn {
namespace {

using testing::CheckGradients;
using testing::RandomNormal;
using testing::RandomUniform;

float At(const Tensor& t, int64_t i) { return t.data<float>()[i]; }

// Per-channel mean and biased variance of an NCHW tensor, in double.
void ChannelStats(const Tensor& x, std::vector<double>* mean, std::vector<double>* var) {
  const int64_t n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3);
  mean->assign(c, 0.0);
  var->assign(c, 0.0);
  for (int64_t ch = 0; ch < c; ++ch) {
    for (int64_t b = 0; b < n; ++b) {
      for (int64_t s = 0; s < hw; ++s) (*mean)[ch] += At(x, (b * c + ch) * hw + s);
    }
    (*mean)[ch] /= n * hw;
    for (int64_t b = 0; b < n; ++b) {
      for (int64_t s = 0; s < hw; ++s) {
        const double d = At(x, (b * c + ch) * hw + s) - (*mean)[ch];
        (*var)[ch] += d * d;
      }
    }
    (*var)[ch] /= n * hw;
  }
}

TEST(BatchNorm2dTest, TrainingForwardNormalizesWithBatchStatsAndUpdatesRunningStats) {
  const Shape shape({3, 4, 5, 2});
  Tensor x = RandomNormal(shape, 1, 2.0f);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] += 3.0f;  // a non-zero mean
  Tensor gamma = RandomUniform({4}, 2, 0.5f, 1.5f);
  Tensor beta = RandomNormal({4}, 3);
  Tensor running_mean = RandomNormal({4}, 4);
  Tensor running_var = RandomUniform({4}, 5, 0.5f, 2.0f);
  const Tensor old_mean = running_mean.Clone(), old_var = running_var.Clone();
  Tensor y = Tensor::Empty(shape);
  BatchNormOptions options;
  options.momentum = 0.3f;
  const BatchNormCache cache =
      BatchNorm2dForward(x, &gamma, &beta, &running_mean, &running_var, options, &y);

  std::vector<double> mean, var;
  ChannelStats(x, &mean, &var);
  const int64_t m = 3 * 5 * 2;
  for (int64_t c = 0; c < 4; ++c) {
    const double inv_std = 1.0 / std::sqrt(var[c] + 1e-5);
    EXPECT_NEAR(At(cache.mean, c), mean[c], 1e-5);
    EXPECT_NEAR(At(cache.inv_std, c), inv_std, 1e-5);
    EXPECT_NEAR(At(running_mean, c), 0.7 * At(old_mean, c) + 0.3 * mean[c], 1e-5);
    EXPECT_NEAR(At(running_var, c), 0.7 * At(old_var, c) + 0.3 * var[c] * m / (m - 1), 1e-5);
    for (int64_t b = 0; b < 3; ++b) {
      for (int64_t s = 0; s < 10; ++s) {
        const int64_t i = (b * 4 + c) * 10 + s;
        const double expected = (At(x, i) - mean[c]) * inv_std * At(gamma, c) + At(beta, c);
        ASSERT_NEAR(At(y, i), expected, 1e-5) << "element " << i;
      }
    }
  }
  EXPECT_TRUE(cache.training);
}

TEST(BatchNorm2dTest, EvalForwardUsesRunningStatsAndLeavesThemAlone) {
  const Shape shape({2, 3, 2, 3});
  Tensor x = RandomNormal(shape, 6);
  Tensor gamma = RandomUniform({3}, 7, 0.5f, 1.5f);
  Tensor beta = RandomNormal({3}, 8);
  Tensor running_mean = RandomNormal({3}, 9);
  Tensor running_var = RandomUniform({3}, 10, 0.5f, 2.0f);
  const Tensor old_mean = running_mean.Clone();
  Tensor y = Tensor::Empty(shape);
  BatchNormOptions options;
  options.training = false;
  options.eps = 1e-3f;
  const BatchNormCache cache =
      BatchNorm2dForward(x, &gamma, &beta, &running_mean, &running_var, options, &y);
  EXPECT_FALSE(cache.training);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t c = (i / 6) % 3;
    const double expected =
        (At(x, i) - At(running_mean, c)) / std::sqrt(At(running_var, c) + 1e-3) * At(gamma, c) +
        At(beta, c);
    ASSERT_NEAR(At(y, i), expected, 1e-5) << "element " << i;
  }
  for (int64_t c = 0; c < 3; ++c) EXPECT_EQ(At(running_mean, c), At(old_mean, c));
}

TEST(BatchNorm2dTest, WithoutAffineOrRunningStats) {
  Tensor x = RandomNormal({4, 2, 1, 1}, 11);
  Tensor y = Tensor::Empty(x.shape());
  BatchNorm2dForward(x, nullptr, nullptr, nullptr, nullptr, {}, &y);
  for (int64_t c = 0; c < 2; ++c) {
    double sum = 0, squares = 0;
    for (int64_t b = 0; b < 4; ++b) {
      sum += At(y, b * 2 + c);
      squares += At(y, b * 2 + c) * At(y, b * 2 + c);
    }
    EXPECT_NEAR(sum / 4, 0.0, 1e-5);
    EXPECT_NEAR(squares / 4, 1.0, 1e-3);  // var / (var + eps)
  }
}

// Gradient check in training mode: the gradient flows through the batch mean and variance.
TEST(BatchNorm2dTest, TrainingGradientsThroughBatchStatistics) {
  Tensor x = RandomNormal({2, 3, 3, 4}, 12);
  Tensor gamma = RandomUniform({3}, 13, 0.5f, 1.5f);
  Tensor beta = RandomNormal({3}, 14);
  BatchNormCache cache;
  auto forward = [&] {
    Tensor y = Tensor::Empty(x.shape());
    cache = BatchNorm2dForward(x, &gamma, &beta, nullptr, nullptr, {}, &y);
    return y;
  };
  EXPECT_TRUE(CheckGradients(
      {&x, &gamma, &beta}, forward, [&](const Tensor& dy, const std::vector<Tensor*>& grads) {
        BatchNorm2dBackward(dy, x, &gamma, cache, grads[0], grads[1], grads[2]);
      }));
}

TEST(BatchNorm2dTest, TrainingGradientWithoutAffine) {
  Tensor x = RandomNormal({3, 2, 2, 2}, 15, 3.0f);
  BatchNormCache cache;
  auto forward = [&] {
    Tensor y = Tensor::Empty(x.shape());
    cache = BatchNorm2dForward(x, nullptr, nullptr, nullptr, nullptr, {}, &y);
    return y;
  };
  EXPECT_TRUE(
      CheckGradients({&x}, forward, [&](const Tensor& dy, const std::vector<Tensor*>& grads) {
        BatchNorm2dBackward(dy, x, nullptr, cache, grads[0], nullptr, nullptr);
      }));
}

TEST(BatchNorm2dTest, EvalGradients) {
  Tensor x = RandomNormal({2, 3, 2, 5}, 16);
  Tensor gamma = RandomUniform({3}, 17, 0.5f, 1.5f);
  Tensor beta = RandomNormal({3}, 18);
  Tensor running_mean = RandomNormal({3}, 19);
  Tensor running_var = RandomUniform({3}, 20, 0.5f, 2.0f);
  BatchNormOptions options;
  options.training = false;
  BatchNormCache cache;
  auto forward = [&] {
    Tensor y = Tensor::Empty(x.shape());
    cache = BatchNorm2dForward(x, &gamma, &beta, &running_mean, &running_var, options, &y);
    return y;
  };
  EXPECT_TRUE(CheckGradients(
      {&x, &gamma, &beta}, forward, [&](const Tensor& dy, const std::vector<Tensor*>& grads) {
        BatchNorm2dBackward(dy, x, &gamma, cache, grads[0], grads[1], grads[2]);
      }));
}

TEST(BatchNorm2dTest, BackwardAccumulatesAndSkipsNullGradients) {
  Tensor x = RandomNormal({2, 2, 3, 3}, 21);
  Tensor gamma = RandomUniform({2}, 22, 0.5f, 1.5f);
  Tensor y = Tensor::Empty(x.shape());
  const BatchNormCache cache = BatchNorm2dForward(x, &gamma, nullptr, nullptr, nullptr, {}, &y);
  Tensor dy = RandomNormal(x.shape(), 23);
  Tensor dx1 = Tensor::Zeros(x.shape()), dx2 = Tensor::Zeros(x.shape());
  Tensor dgamma1 = Tensor::Zeros({2}), dgamma2 = Tensor::Zeros({2});
  Tensor dbeta = Tensor::Zeros({2});
  BatchNorm2dBackward(dy, x, &gamma, cache, &dx1, &dgamma1, &dbeta);
  BatchNorm2dBackward(dy, x, &gamma, cache, &dx2, &dgamma2, nullptr);
  BatchNorm2dBackward(dy, x, &gamma, cache, &dx2, &dgamma2, nullptr);
  for (int64_t i = 0; i < x.numel(); ++i) ASSERT_NEAR(At(dx2, i), 2 * At(dx1, i), 1e-5);
  for (int64_t c = 0; c < 2; ++c) EXPECT_NEAR(At(dgamma2, c), 2 * At(dgamma1, c), 1e-5);
  double sum_dy = 0;
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t s = 0; s < 9; ++s) sum_dy += At(dy, (b * 2 + 1) * 9 + s);
  }
  EXPECT_NEAR(At(dbeta, 1), sum_dy, 1e-5);
}

TEST(BatchNorm2dTest, ResultsDoNotDependOnThreadCount) {
  Tensor x = RandomNormal({3, 7, 4, 5}, 24);
  Tensor gamma = RandomUniform({7}, 25, 0.5f, 1.5f);
  Tensor beta = RandomNormal({7}, 26);
  Tensor dy = RandomNormal(x.shape(), 27);
  std::vector<Tensor> dxs;
  for (int threads : {1, 3}) {
    base::SetNumThreads(threads);
    Tensor y = Tensor::Empty(x.shape());
    const BatchNormCache cache = BatchNorm2dForward(x, &gamma, &beta, nullptr, nullptr, {}, &y);
    Tensor dx = Tensor::Zeros(x.shape());
    BatchNorm2dBackward(dy, x, &gamma, cache, &dx, nullptr, nullptr);
    dxs.push_back(dx);
  }
  base::SetNumThreads(2);
  for (int64_t i = 0; i < x.numel(); ++i) ASSERT_EQ(At(dxs[0], i), At(dxs[1], i));
}

// conv(x, w') + b' == BN_eval(conv(x, w) + b): the convolution is linear in each receptive
// field p, so it suffices that w'[o] . p + b'[o] == (w[o] . p + b[o] - mean) * s + beta.
TEST(FoldBatchNormIntoConvTest, FoldedConvMatchesConvThenBatchNorm) {
  const int64_t cout = 5, per_channel = 3 * 2 * 2;
  Tensor w = RandomNormal({cout, 3, 2, 2}, 28);
  Tensor b = RandomNormal({cout}, 29);
  Tensor gamma = RandomUniform({cout}, 30, 0.5f, 1.5f);
  Tensor beta = RandomNormal({cout}, 31);
  Tensor mean = RandomNormal({cout}, 32);
  Tensor var = RandomUniform({cout}, 33, 0.1f, 2.0f);
  const float eps = 1e-5f;
  Tensor folded_w = Tensor::Empty(w.shape()), folded_b = Tensor::Empty({cout});
  FoldBatchNormIntoConv(w, &b, &gamma, &beta, mean, var, eps, &folded_w, &folded_b);

  const Tensor patch = RandomNormal({per_channel}, 34);
  for (int64_t o = 0; o < cout; ++o) {
    double conv = At(b, o), folded = At(folded_b, o);
    for (int64_t k = 0; k < per_channel; ++k) {
      conv += At(w, o * per_channel + k) * At(patch, k);
      folded += At(folded_w, o * per_channel + k) * At(patch, k);
    }
    const double bn =
        (conv - At(mean, o)) / std::sqrt(At(var, o) + eps) * At(gamma, o) + At(beta, o);
    EXPECT_NEAR(folded, bn, 1e-4) << "output channel " << o;
  }

  // In place and without a conv bias: b = 0.
  Tensor in_place = w.Clone(), new_bias = Tensor::Empty({cout});
  FoldBatchNormIntoConv(in_place, nullptr, &gamma, &beta, mean, var, eps, &in_place, &new_bias);
  for (int64_t i = 0; i < w.numel(); ++i) ASSERT_EQ(At(in_place, i), At(folded_w, i));
  for (int64_t o = 0; o < cout; ++o) {
    EXPECT_NEAR(At(new_bias, o),
                -At(mean, o) / std::sqrt(At(var, o) + eps) * At(gamma, o) + At(beta, o), 1e-5);
  }
}

// The epilogue form: conv(x, w) * scale + shift == BN_eval(conv(x, w) + b) per channel, the
// scale and shift being the double-precision fold rounded once to float32.
TEST(FoldBatchNormIntoScaleShiftTest, MatchesBatchNormAndTheDoubleFold) {
  const int64_t cout = 6;
  Tensor b = RandomNormal({cout}, 40);
  Tensor gamma = RandomUniform({cout}, 41, 0.5f, 1.5f);
  Tensor beta = RandomNormal({cout}, 42);
  Tensor mean = RandomNormal({cout}, 43);
  Tensor var = RandomUniform({cout}, 44, 0.1f, 2.0f);
  const float eps = 1e-3f;
  Tensor scale = Tensor::Empty({cout}), shift = Tensor::Empty({cout});
  FoldBatchNormIntoScaleShift(&b, &gamma, &beta, mean, var, eps, &scale, &shift);
  for (int64_t o = 0; o < cout; ++o) {
    const double s = At(gamma, o) / std::sqrt(static_cast<double>(At(var, o)) + eps);
    EXPECT_EQ(At(scale, o), static_cast<float>(s)) << o;
    EXPECT_EQ(At(shift, o), static_cast<float>(At(beta, o) + (At(b, o) - At(mean, o)) * s)) << o;
    const double conv = 0.7;  // any convolution output
    EXPECT_NEAR(
        conv * At(scale, o) + At(shift, o),
        (conv + At(b, o) - At(mean, o)) / std::sqrt(At(var, o) + eps) * At(gamma, o) + At(beta, o),
        1e-5)
        << o;
  }
  // Null conv bias, gamma and beta mean 0, 1 and 0.
  FoldBatchNormIntoScaleShift(nullptr, nullptr, nullptr, mean, var, eps, &scale, &shift);
  for (int64_t o = 0; o < cout; ++o) {
    const double s = 1.0 / std::sqrt(static_cast<double>(At(var, o)) + eps);
    EXPECT_EQ(At(scale, o), static_cast<float>(s));
    EXPECT_EQ(At(shift, o), static_cast<float>(-At(mean, o) * s));
  }
}

TEST(FoldBatchNormIntoScaleShiftDeathTest, ContractViolations) {
  Tensor c3 = Tensor::Full({3}, 1.0f), c4 = Tensor::Full({4}, 1.0f);
  Tensor scale = Tensor::Empty({3}), shift = Tensor::Empty({3});
  EXPECT_DEATH(FoldBatchNormIntoScaleShift(nullptr, &c4, nullptr, c3, c3, 1e-5f, &scale, &shift),
               "FoldBatchNormIntoScaleShift: bn weight \\[4\\], expected \\[3\\]");
  EXPECT_DEATH(
      FoldBatchNormIntoScaleShift(nullptr, nullptr, nullptr, c3, c4, 1e-5f, &scale, &shift),
      "FoldBatchNormIntoScaleShift: running_var \\[4\\], expected \\[3\\]");
  EXPECT_DEATH(FoldBatchNormIntoScaleShift(nullptr, nullptr, nullptr, c3, c3, 0.0f, &scale, &shift),
               "FoldBatchNormIntoScaleShift: eps 0 must be positive");
  EXPECT_DEATH(
      FoldBatchNormIntoScaleShift(nullptr, nullptr, nullptr, c3, c3, 1e-5f, nullptr, &shift),
      "FoldBatchNormIntoScaleShift: scale is null");
}

TEST(BatchNorm2dDeathTest, ContractViolations) {
  Tensor x = Tensor::Zeros({2, 3, 4, 4});
  Tensor y = Tensor::Zeros({2, 3, 4, 4});
  Tensor gamma3 = Tensor::Zeros({3}), gamma4 = Tensor::Zeros({4});
  EXPECT_DEATH(
      {
        Tensor x3 = Tensor::Zeros({2, 3, 4});
        BatchNorm2dForward(x3, nullptr, nullptr, nullptr, nullptr, {}, &x3);
      },
      "input must be NCHW, got \\[2, 3, 4\\]");
  EXPECT_DEATH(BatchNorm2dForward(x, &gamma4, nullptr, nullptr, nullptr, {}, &y),
               "weight \\[4\\], expected \\[3\\]");
  EXPECT_DEATH(
      {
        Tensor wrong_y = Tensor::Zeros({2, 3, 4, 5});
        BatchNorm2dForward(x, &gamma3, nullptr, nullptr, nullptr, {}, &wrong_y);
      },
      "output \\[2, 3, 4, 5\\], expected \\[2, 3, 4, 4\\]");
  BatchNormOptions eval;
  eval.training = false;
  EXPECT_DEATH(BatchNorm2dForward(x, &gamma3, nullptr, nullptr, nullptr, eval, &y),
               "eval mode needs running statistics");
  EXPECT_DEATH(
      {
        Tensor one = Tensor::Zeros({1, 3, 1, 1});
        BatchNorm2dForward(one, nullptr, nullptr, nullptr, nullptr, {}, &one);
      },
      "more than 1 value per channel, input \\[1, 3, 1, 1\\]");
  EXPECT_DEATH(
      {
        BatchNormCache cache = BatchNorm2dForward(x, &gamma3, nullptr, nullptr, nullptr, {}, &y);
        Tensor dgamma = Tensor::Zeros({4});
        BatchNorm2dBackward(y, x, &gamma3, cache, nullptr, &dgamma, nullptr);
      },
      "weight gradient \\[4\\], expected \\[3\\]");
  EXPECT_DEATH(
      {
        Tensor w = Tensor::Zeros({4, 3, 3, 3});
        Tensor fw = Tensor::Zeros({4, 3, 3, 3});
        Tensor fb = Tensor::Zeros({4});
        FoldBatchNormIntoConv(w, nullptr, nullptr, nullptr, gamma3, gamma3, 1e-5f, &fw, &fb);
      },
      "running_mean \\[3\\], expected \\[4\\]");
}

}  // namespace
}  // namespace nn
