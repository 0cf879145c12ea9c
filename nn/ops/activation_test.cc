// Activations: forward values (incl. extreme inputs and in-place), finite-difference
// gradients, contract violations.
#include "nn/ops/activation.h"

#include <cmath>
#include <limits>
#include <vector>

#include "gtest/gtest.h"
#include "nn/testing/gradient_check.h"

namespace nn {
namespace {

using testing::CheckGradients;
using testing::RandomNormal;
using testing::RandomUniform;

float At(const Tensor& t, int64_t i) { return t.data<float>()[i]; }

// Values in [0.05, 2) with random signs: at least eps = 1e-2 away from ReLU's kink.
Tensor AwayFromZero(const Shape& shape, uint32_t seed) {
  Tensor x = RandomUniform(shape, seed, 0.05f, 2.0f);
  const Tensor sign = RandomUniform(shape, seed + 1, -1.0f, 1.0f);
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (At(sign, i) < 0) x.data<float>()[i] = -At(x, i);
  }
  return x;
}

TEST(ReluTest, ForwardInPlaceAndNaN) {
  Tensor x = Tensor::FromVector({5}, {-2, -0.5f, 0, 0.5f, 3});
  Tensor y = Tensor::Empty({5});
  ReluForward(x, &y);
  EXPECT_EQ(std::vector<float>(y.data<float>(), y.data<float>() + 5),
            (std::vector<float>{0, 0, 0, 0.5f, 3}));
  ReluForward(x, &x);
  for (int64_t i = 0; i < 5; ++i) EXPECT_EQ(At(x, i), At(y, i));
  Tensor nan = Tensor::Full({1}, std::numeric_limits<float>::quiet_NaN());
  ReluForward(nan, &nan);
  EXPECT_TRUE(std::isnan(At(nan, 0)));
}

TEST(ReluTest, GradientFromInputOrOutputMask) {
  Tensor x = AwayFromZero({4, 37}, 1);
  auto forward = [&] {
    Tensor y = Tensor::Empty(x.shape());
    ReluForward(x, &y);
    return y;
  };
  // Mask from the input.
  EXPECT_TRUE(CheckGradients(
      {&x}, forward,
      [&](const Tensor& dy, const std::vector<Tensor*>& grads) { ReluBackward(dy, x, grads[0]); }));
  // Mask from the output (as after an in-place forward).
  EXPECT_TRUE(
      CheckGradients({&x}, forward, [&](const Tensor& dy, const std::vector<Tensor*>& grads) {
        ReluBackward(dy, forward(), grads[0]);
      }));
}

TEST(ReluTest, BackwardAtZeroIsZeroAndAccumulates) {
  Tensor x = Tensor::FromVector({3}, {-1, 0, 2});
  Tensor dy = Tensor::FromVector({3}, {5, 6, 7});
  Tensor dx = Tensor::Full({3}, 1);
  ReluBackward(dy, x, &dx);
  EXPECT_EQ(At(dx, 0), 1);
  EXPECT_EQ(At(dx, 1), 1);
  EXPECT_EQ(At(dx, 2), 8);
}

TEST(SigmoidTest, ForwardIsStableForLargeInputs) {
  Tensor x = Tensor::FromVector({5}, {-200, -20, 0, 20, 200});
  Tensor y = Tensor::Empty({5});
  SigmoidForward(x, &y);
  for (int64_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(std::isfinite(At(y, i)));
    EXPECT_NEAR(At(y, i), 1.0 / (1.0 + std::exp(-static_cast<double>(At(x, i)))), 1e-7);
  }
  EXPECT_EQ(At(y, 2), 0.5f);
  SigmoidForward(x, &x);  // in place
  for (int64_t i = 0; i < 5; ++i) EXPECT_EQ(At(x, i), At(y, i));
}

TEST(SigmoidTest, Gradient) {
  Tensor x = RandomNormal({3, 41}, 2, 2.0f);
  Tensor y;
  auto forward = [&] {
    y = Tensor::Empty(x.shape());
    SigmoidForward(x, &y);
    return y;
  };
  EXPECT_TRUE(
      CheckGradients({&x}, forward, [&](const Tensor& dy, const std::vector<Tensor*>& grads) {
        SigmoidBackward(dy, y, grads[0]);
      }));
}

TEST(SoftmaxTest, ForwardRowsSumToOneAndMatchReference) {
  Tensor x = RandomNormal({4, 7}, 3, 3.0f);
  Tensor y = Tensor::Empty(x.shape()), log_y = Tensor::Empty(x.shape());
  SoftmaxForward(x, &y);
  LogSoftmaxForward(x, &log_y);
  for (int64_t r = 0; r < 4; ++r) {
    double total = 0;
    for (int64_t j = 0; j < 7; ++j) total += std::exp(static_cast<double>(At(x, r * 7 + j)));
    double sum = 0;
    for (int64_t j = 0; j < 7; ++j) {
      const double expected = std::exp(static_cast<double>(At(x, r * 7 + j))) / total;
      EXPECT_NEAR(At(y, r * 7 + j), expected, 1e-6);
      EXPECT_NEAR(At(log_y, r * 7 + j), std::log(expected), 1e-5);
      sum += At(y, r * 7 + j);
    }
    EXPECT_NEAR(sum, 1.0, 1e-6);
  }
}

TEST(SoftmaxTest, ForwardIsStableForHugeLogitsAndInPlace) {
  Tensor x = Tensor::FromVector({2, 3}, {1000, 1001, 1002, -1000, -1000, -1000});
  Tensor log_y = Tensor::Empty(x.shape());
  LogSoftmaxForward(x, &log_y);
  EXPECT_NEAR(At(log_y, 2), -std::log(1 + std::exp(-1.0) + std::exp(-2.0)), 1e-5);
  EXPECT_NEAR(At(log_y, 4), -std::log(3.0), 1e-6);
  SoftmaxForward(x, &x);
  for (int64_t i = 0; i < 6; ++i) {
    ASSERT_TRUE(std::isfinite(At(x, i)));
    EXPECT_NEAR(At(x, i), std::exp(At(log_y, i)), 1e-6);
  }
}

TEST(SoftmaxTest, SoftmaxGradient) {
  Tensor x = RandomNormal({5, 9}, 4, 2.0f);
  Tensor y;
  auto forward = [&] {
    y = Tensor::Empty(x.shape());
    SoftmaxForward(x, &y);
    return y;
  };
  EXPECT_TRUE(
      CheckGradients({&x}, forward, [&](const Tensor& dy, const std::vector<Tensor*>& grads) {
        SoftmaxBackward(dy, y, grads[0]);
      }));
}

TEST(SoftmaxTest, LogSoftmaxGradient) {
  Tensor x = RandomNormal({5, 9}, 5, 2.0f);
  Tensor y;
  auto forward = [&] {
    y = Tensor::Empty(x.shape());
    LogSoftmaxForward(x, &y);
    return y;
  };
  EXPECT_TRUE(
      CheckGradients({&x}, forward, [&](const Tensor& dy, const std::vector<Tensor*>& grads) {
        LogSoftmaxBackward(dy, y, grads[0]);
      }));
}

TEST(SoftmaxTest, EdgeShapes) {
  // One class: softmax 1, log-softmax 0, zero gradient.
  Tensor x = RandomNormal({3, 1}, 6);
  Tensor y = Tensor::Empty(x.shape());
  SoftmaxForward(x, &y);
  for (int64_t i = 0; i < 3; ++i) EXPECT_EQ(At(y, i), 1.0f);
  LogSoftmaxForward(x, &y);
  for (int64_t i = 0; i < 3; ++i) EXPECT_EQ(At(y, i), 0.0f);
  // Leading dimensions are rows; no rows at all is fine.
  Tensor x3 = RandomNormal({2, 3, 4}, 7);
  Tensor y3 = Tensor::Empty(x3.shape());
  SoftmaxForward(x3, &y3);
  double sum = 0;
  for (int64_t j = 0; j < 4; ++j) sum += At(y3, 5 * 4 + j);
  EXPECT_NEAR(sum, 1.0, 1e-6);
  Tensor empty = Tensor::Empty({0, 4});
  SoftmaxForward(empty, &empty);
}

TEST(ActivationDeathTest, ShapeViolations) {
  Tensor x = Tensor::Zeros({2, 3});
  EXPECT_DEATH(
      {
        Tensor y = Tensor::Zeros({3, 2});
        ReluForward(x, &y);
      },
      "ReluForward: output \\[3, 2\\], expected \\[2, 3\\]");
  EXPECT_DEATH(
      {
        Tensor dx = Tensor::Zeros({6});
        SigmoidBackward(x, x, &dx);
      },
      "SigmoidBackward: input gradient \\[6\\], expected \\[2, 3\\]");
  EXPECT_DEATH(
      {
        Tensor y = Tensor::Zeros({2, 4});
        SoftmaxForward(x, &y);
      },
      "SoftmaxForward: output \\[2, 4\\], expected \\[2, 3\\]");
  EXPECT_DEATH(
      {
        Tensor scalar = Tensor::Zeros({});
        LogSoftmaxForward(scalar, &scalar);
      },
      "LogSoftmaxForward: needs a class axis");
  EXPECT_DEATH(ReluForward(x, nullptr), "ReluForward: output is null");
}

}  // namespace
}  // namespace nn
