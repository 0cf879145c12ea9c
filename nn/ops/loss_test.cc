// Losses: forward against direct double-precision formulas (incl. extreme logits),
// finite-difference gradients for every option (pos_weight, class weights, label
// smoothing, ignored rows), contract violations.
#include "nn/ops/loss.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "nn/testing/gradient_check.h"

namespace nn {
namespace {

using testing::CheckGradients;
using testing::RandomNormal;
using testing::RandomUniform;

float At(const Tensor& t, int64_t i) { return t.data<float>()[i]; }

// -[pw t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))], averaged; for moderate x only.
double NaiveBCE(const Tensor& x, const Tensor& t, const Tensor* pos_weight) {
  double sum = 0;
  const int64_t classes = x.dim(-1);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double s = 1.0 / (1.0 + std::exp(-static_cast<double>(At(x, i))));
    const double pw = pos_weight != nullptr ? At(*pos_weight, i % classes) : 1.0;
    sum -= pw * At(t, i) * std::log(s) + (1 - At(t, i)) * std::log(1 - s);
  }
  return sum / x.numel();
}

::testing::AssertionResult CheckBCEGradient(Tensor& logits, const Tensor& targets,
                                            const Tensor* pos_weight) {
  return CheckGradients(
      {&logits},
      [&] { return Tensor::Full({1}, BCEWithLogitsForward(logits, targets, pos_weight)); },
      [&](const Tensor& dy, const std::vector<Tensor*>& grads) {
        BCEWithLogitsBackward(logits, targets, pos_weight, At(dy, 0), grads[0]);
      });
}

TEST(BCEWithLogitsTest, ForwardMatchesTheDefinition) {
  Tensor x = RandomNormal({4, 3}, 1, 2.0f);
  Tensor t = RandomUniform({4, 3}, 2, 0.0f, 1.0f);  // soft targets too
  Tensor pw = Tensor::FromVector({3}, {0.5f, 2.0f, 4.0f});
  EXPECT_NEAR(BCEWithLogitsForward(x, t), NaiveBCE(x, t, nullptr), 1e-6);
  EXPECT_NEAR(BCEWithLogitsForward(x, t, &pw), NaiveBCE(x, t, &pw), 1e-5);
}

TEST(BCEWithLogitsTest, StableForHugeLogits) {
  Tensor x = Tensor::FromVector({4}, {100, -100, 100, -100});
  Tensor t = Tensor::FromVector({4}, {0, 1, 1, 0});
  // Wrong with confidence 100: loss 100 each; right: ~exp(-100) each.
  EXPECT_NEAR(BCEWithLogitsForward(x, t), 50.0, 1e-4);
  Tensor pw = Tensor::FromVector({1}, {3.0f});
  EXPECT_NEAR(BCEWithLogitsForward(x, t, &pw), (100.0 + 300.0) / 4, 1e-4);
  Tensor dx = Tensor::Zeros({4});
  BCEWithLogitsBackward(x, t, nullptr, 1.0f, &dx);
  EXPECT_NEAR(At(dx, 0), 0.25, 1e-7);
  EXPECT_NEAR(At(dx, 1), -0.25, 1e-7);
  EXPECT_NEAR(At(dx, 2), 0.0, 1e-7);
}

TEST(BCEWithLogitsTest, Gradient) {
  Tensor x = RandomNormal({5, 4}, 3, 2.0f);
  Tensor t = RandomUniform({5, 4}, 4, 0.0f, 1.0f);
  EXPECT_TRUE(CheckBCEGradient(x, t, nullptr));
}

TEST(BCEWithLogitsTest, GradientWithPosWeight) {
  Tensor x = RandomNormal({5, 4}, 5, 2.0f);
  Tensor t = RandomUniform({5, 4}, 6, 0.0f, 1.0f);
  for (int64_t i = 0; i < t.numel(); i += 2) t.data<float>()[i] = std::round(At(t, i));
  Tensor pw = Tensor::FromVector({4}, {0.3f, 1.0f, 2.5f, 7.0f});
  EXPECT_TRUE(CheckBCEGradient(x, t, &pw));
  Tensor x1 = RandomNormal({6}, 7);
  Tensor t1 = RandomUniform({6}, 8, 0.0f, 1.0f);
  Tensor pw1 = Tensor::FromVector({1}, {3.0f});
  EXPECT_TRUE(CheckBCEGradient(x1, t1, &pw1));
}

// Direct formula: (1 - eps) sum w_i nll_i + eps / C sum_i sum_c weight[c] (-logp_ic), / D.
double NaiveCrossEntropy(const Tensor& x, const std::vector<int64_t>& targets,
                         const Tensor* weights, double eps, int64_t ignore_index = -100) {
  const int64_t n = x.dim(0), c = x.dim(1);
  double num = 0, den = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (targets[i] == ignore_index) continue;
    double total = 0;
    for (int64_t j = 0; j < c; ++j) total += std::exp(static_cast<double>(At(x, i * c + j)));
    auto neg_logp = [&](int64_t j) { return std::log(total) - At(x, i * c + j); };
    auto w = [&](int64_t j) { return weights != nullptr ? At(*weights, j) : 1.0; };
    double smooth = 0;
    for (int64_t j = 0; j < c; ++j) smooth += w(j) * neg_logp(j);
    num += (1 - eps) * w(targets[i]) * neg_logp(targets[i]) + eps / c * smooth;
    den += w(targets[i]);
  }
  return num / den;
}

::testing::AssertionResult CheckCrossEntropyGradient(Tensor& logits,
                                                     const std::vector<int64_t>& targets,
                                                     const CrossEntropyOptions& options) {
  return CheckGradients(
      {&logits}, [&] { return Tensor::Full({1}, CrossEntropyForward(logits, targets, options)); },
      [&](const Tensor& dy, const std::vector<Tensor*>& grads) {
        CrossEntropyBackward(logits, targets, options, At(dy, 0), grads[0]);
      });
}

TEST(CrossEntropyTest, ForwardMatchesTheDefinition) {
  Tensor x = RandomNormal({6, 5}, 9, 2.0f);
  const std::vector<int64_t> targets = {0, 4, 2, 2, 1, 3};
  Tensor w = RandomUniform({5}, 10, 0.2f, 3.0f);
  EXPECT_NEAR(CrossEntropyForward(x, targets), NaiveCrossEntropy(x, targets, nullptr, 0), 1e-5);
  CrossEntropyOptions weighted;
  weighted.class_weights = &w;
  EXPECT_NEAR(CrossEntropyForward(x, targets, weighted), NaiveCrossEntropy(x, targets, &w, 0),
              1e-5);
  CrossEntropyOptions smoothed;
  smoothed.label_smoothing = 0.2f;
  EXPECT_NEAR(CrossEntropyForward(x, targets, smoothed),
              NaiveCrossEntropy(x, targets, nullptr, 0.2), 1e-5);
  weighted.label_smoothing = 0.35f;
  EXPECT_NEAR(CrossEntropyForward(x, targets, weighted), NaiveCrossEntropy(x, targets, &w, 0.35),
              1e-5);
  // Ignored rows leave the numerator and the denominator.
  const std::vector<int64_t> with_ignored = {0, -100, 2, -100, 1, 3};
  EXPECT_NEAR(CrossEntropyForward(x, with_ignored, smoothed),
              NaiveCrossEntropy(x, with_ignored, nullptr, 0.2), 1e-5);
  EXPECT_TRUE(std::isnan(CrossEntropyForward(x, std::vector<int64_t>(6, -100))));
}

TEST(CrossEntropyTest, StableForHugeLogits) {
  Tensor x = Tensor::FromVector({2, 3}, {1000, 0, -1000, -1000, 0, 1000});
  EXPECT_NEAR(CrossEntropyForward(x, {0, 0}), (0.0 + 2000.0) / 2, 1e-3);
}

TEST(CrossEntropyTest, Gradient) {
  Tensor x = RandomNormal({6, 5}, 11, 2.0f);
  EXPECT_TRUE(CheckCrossEntropyGradient(x, {0, 4, 2, 2, 1, 3}, {}));
}

TEST(CrossEntropyTest, GradientWithClassWeights) {
  Tensor x = RandomNormal({6, 5}, 12, 2.0f);
  Tensor w = RandomUniform({5}, 13, 0.2f, 3.0f);
  CrossEntropyOptions options;
  options.class_weights = &w;
  EXPECT_TRUE(CheckCrossEntropyGradient(x, {0, 4, 2, 2, 1, 3}, options));
}

TEST(CrossEntropyTest, GradientWithLabelSmoothing) {
  Tensor x = RandomNormal({6, 5}, 14, 2.0f);
  CrossEntropyOptions options;
  options.label_smoothing = 0.25f;
  EXPECT_TRUE(CheckCrossEntropyGradient(x, {0, 4, 2, 2, 1, 3}, options));
}

TEST(CrossEntropyTest, GradientWithClassWeightsLabelSmoothingAndIgnoredRows) {
  Tensor x = RandomNormal({7, 4}, 15, 2.0f);
  Tensor w = RandomUniform({4}, 16, 0.2f, 3.0f);
  CrossEntropyOptions options;
  options.class_weights = &w;
  options.label_smoothing = 0.4f;
  options.ignore_index = 1;
  EXPECT_TRUE(CheckCrossEntropyGradient(x, {0, 1, 2, 3, 3, 1, 0}, options));
  // Ignored rows get no gradient.
  Tensor dx = Tensor::Zeros(x.shape());
  CrossEntropyBackward(x, {0, 1, 2, 3, 3, 1, 0}, options, 1.0f, &dx);
  for (int64_t j = 0; j < 4; ++j) EXPECT_EQ(At(dx, 1 * 4 + j), 0.0f);
}

TEST(LossDeathTest, ContractViolations) {
  Tensor x = Tensor::Zeros({3, 4});
  EXPECT_DEATH(
      {
        Tensor t = Tensor::Zeros({4, 3});
        BCEWithLogitsForward(x, t);
      },
      "BCEWithLogitsForward: targets \\[4, 3\\], expected \\[3, 4\\]");
  EXPECT_DEATH(
      {
        Tensor pw = Tensor::Zeros({3});
        BCEWithLogitsForward(x, x, &pw);
      },
      "pos_weight \\[3\\] does not broadcast over the last axis of logits \\[3, 4\\]");
  EXPECT_DEATH(CrossEntropyForward(x, {0, 1}), "2 targets for logits \\[3, 4\\]");
  EXPECT_DEATH(CrossEntropyForward(x, {0, 4, 1}),
               "target 4 of row 1 is not a class of logits \\[3, 4\\]");
  EXPECT_DEATH(
      {
        Tensor w = Tensor::Zeros({3});
        CrossEntropyOptions options;
        options.class_weights = &w;
        CrossEntropyForward(x, {0, 1, 2}, options);
      },
      "class weights \\[3\\], expected \\[4\\]");
  EXPECT_DEATH(
      {
        Tensor x3 = Tensor::Zeros({3, 4, 1});
        CrossEntropyForward(x3, {0, 1, 2});
      },
      "logits must be \\[N, C\\], got \\[3, 4, 1\\]");
  EXPECT_DEATH(
      {
        Tensor dx = Tensor::Zeros({4, 3});
        CrossEntropyBackward(x, {0, 1, 2}, {}, 1.0f, &dx);
      },
      "logits gradient \\[4, 3\\], expected \\[3, 4\\]");
}

}  // namespace
}  // namespace nn
