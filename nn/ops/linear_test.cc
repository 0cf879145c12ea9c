// Linear: forward against a naive reference, finite-difference gradients for x, W and b,
// accumulation, edge shapes, contract violations.
#include "nn/ops/linear.h"

#include <vector>

#include "gtest/gtest.h"
#include "nn/testing/gradient_check.h"

namespace nn {
namespace {

using testing::CheckGradients;
using testing::RandomNormal;

float At(const Tensor& t, int64_t i) { return t.data<float>()[i]; }

TEST(LinearTest, ForwardMatchesNaiveProduct) {
  const int64_t n = 5, in = 7, out = 3;
  Tensor x = RandomNormal({n, in}, 1);
  Tensor w = RandomNormal({out, in}, 2);
  Tensor b = RandomNormal({out}, 3);
  Tensor y = Tensor::Empty(LinearOutputShape(x.shape(), w.shape()));
  ASSERT_EQ(y.shape(), Shape({n, out}));
  LinearForward(x, w, &b, &y);
  Tensor y_no_bias = Tensor::Empty({n, out});
  LinearForward(x, w, nullptr, &y_no_bias);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t o = 0; o < out; ++o) {
      double dot = 0;
      for (int64_t k = 0; k < in; ++k) dot += At(x, i * in + k) * At(w, o * in + k);
      EXPECT_NEAR(At(y, i * out + o), dot + At(b, o), 1e-5);
      EXPECT_NEAR(At(y_no_bias, i * out + o), dot, 1e-5);
    }
  }
}

TEST(LinearTest, GradientsForInputWeightAndBias) {
  Tensor x = RandomNormal({6, 11}, 4);
  Tensor w = RandomNormal({5, 11}, 5, 0.5f);
  Tensor b = RandomNormal({5}, 6);
  auto forward = [&] {
    Tensor y = Tensor::Empty({6, 5});
    LinearForward(x, w, &b, &y);
    return y;
  };
  EXPECT_TRUE(CheckGradients({&x, &w, &b}, forward,
                             [&](const Tensor& dy, const std::vector<Tensor*>& grads) {
                               LinearBackward(dy, x, w, grads[0], grads[1], grads[2]);
                             }));
}

TEST(LinearTest, LeadingDimensionsAreFlattened) {
  Tensor x = RandomNormal({2, 3, 4}, 7);
  Tensor w = RandomNormal({6, 4}, 8);
  Tensor y = Tensor::Empty(LinearOutputShape(x.shape(), w.shape()));
  ASSERT_EQ(y.shape(), Shape({2, 3, 6}));
  auto forward = [&] {
    LinearForward(x, w, nullptr, &y);
    return y.Clone();
  };
  EXPECT_TRUE(
      CheckGradients({&x, &w}, forward, [&](const Tensor& dy, const std::vector<Tensor*>& grads) {
        LinearBackward(dy, x, w, grads[0], grads[1], nullptr);
      }));
}

TEST(LinearTest, BackwardAccumulatesAndSkipsNull) {
  Tensor x = RandomNormal({3, 4}, 9);
  Tensor w = RandomNormal({2, 4}, 10);
  Tensor dy = RandomNormal({3, 2}, 11);
  Tensor dw_once = Tensor::Zeros({2, 4}), dw_twice = Tensor::Zeros({2, 4});
  Tensor db = Tensor::Full({2}, 1.0f);
  LinearBackward(dy, x, w, nullptr, &dw_once, nullptr);
  LinearBackward(dy, x, w, nullptr, &dw_twice, &db);
  LinearBackward(dy, x, w, nullptr, &dw_twice, nullptr);
  for (int64_t i = 0; i < 8; ++i) EXPECT_NEAR(At(dw_twice, i), 2 * At(dw_once, i), 1e-5);
  EXPECT_NEAR(At(db, 1), 1.0f + At(dy, 1) + At(dy, 3) + At(dy, 5), 1e-5);
}

TEST(LinearTest, EdgeShapes) {
  // One row, one feature.
  Tensor x = Tensor::FromVector({1, 1}, {2});
  Tensor w = Tensor::FromVector({1, 1}, {3});
  Tensor b = Tensor::FromVector({1}, {0.5f});
  Tensor y = Tensor::Empty({1, 1});
  LinearForward(x, w, &b, &y);
  EXPECT_EQ(At(y, 0), 6.5f);
  // No rows: nothing to compute, bias gradient unchanged.
  Tensor x0 = Tensor::Empty({0, 4});
  Tensor w0 = RandomNormal({3, 4}, 12);
  Tensor y0 = Tensor::Empty({0, 3});
  LinearForward(x0, w0, nullptr, &y0);
  Tensor db = Tensor::Full({3}, 2.0f);
  Tensor dw = Tensor::Zeros({3, 4});
  LinearBackward(y0, x0, w0, nullptr, &dw, &db);
  EXPECT_EQ(At(db, 2), 2.0f);
  EXPECT_EQ(At(dw, 11), 0.0f);
  // A 1-D input is one row.
  Tensor v = RandomNormal({4}, 13);
  Tensor yv = Tensor::Empty(LinearOutputShape(v.shape(), w0.shape()));
  ASSERT_EQ(yv.shape(), Shape({3}));
  LinearForward(v, w0, nullptr, &yv);
  double dot = 0;
  for (int64_t k = 0; k < 4; ++k) dot += At(v, k) * At(w0, 4 + k);
  EXPECT_NEAR(At(yv, 1), dot, 1e-5);
}

TEST(LinearDeathTest, ShapeViolations) {
  Tensor x = Tensor::Zeros({2, 3});
  Tensor w = Tensor::Zeros({4, 3});
  Tensor y = Tensor::Zeros({2, 4});
  EXPECT_DEATH(
      {
        Tensor w_bad = Tensor::Zeros({4, 5});
        LinearForward(x, w_bad, nullptr, &y);
      },
      "input \\[2, 3\\] does not end in in_features of weight \\[4, 5\\]");
  EXPECT_DEATH(
      {
        Tensor b_bad = Tensor::Zeros({3});
        LinearForward(x, w, &b_bad, &y);
      },
      "LinearForward: bias \\[3\\], expected \\[4\\]");
  EXPECT_DEATH(
      {
        Tensor y_bad = Tensor::Zeros({4, 2});
        LinearForward(x, w, nullptr, &y_bad);
      },
      "LinearForward: output \\[4, 2\\], expected \\[2, 4\\]");
  EXPECT_DEATH(
      {
        Tensor dw_bad = Tensor::Zeros({3, 4});
        LinearBackward(y, x, w, nullptr, &dw_bad, nullptr);
      },
      "LinearBackward: weight gradient \\[3, 4\\], expected \\[4, 3\\]");
  EXPECT_DEATH(
      {
        Tensor w3 = Tensor::Zeros({4, 3, 1});
        LinearForward(x, w3, nullptr, &y);
      },
      "weight must be \\[out, in\\], got \\[4, 3, 1\\]");
}

}  // namespace
}  // namespace nn
