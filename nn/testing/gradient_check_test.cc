// The harness itself: it must accept a correct gradient and reject wrong ones.
#include "nn/testing/gradient_check.h"

#include "gtest/gtest.h"

namespace nn::testing {
namespace {

// y = x^3 elementwise (dy/dx = 3x^2), with a deliberately scaled backward.
void CubeBackward(const Tensor& x, const Tensor& dy, Tensor* dx, float scale) {
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float v = x.data<float>()[i];
    dx->data<float>()[i] += scale * 3 * v * v * dy.data<float>()[i];
  }
}

Tensor Cube(const Tensor& x) {
  Tensor y = Tensor::Empty(x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float v = x.data<float>()[i];
    y.data<float>()[i] = v * v * v;
  }
  return y;
}

TEST(GradientCheckTest, AcceptsTheRightGradient) {
  Tensor x = RandomNormal({3, 5}, 1);
  EXPECT_TRUE(CheckGradients(
      {&x}, [&] { return Cube(x); },
      [&](const Tensor& dy, const std::vector<Tensor*>& dx) { CubeBackward(x, dy, dx[0], 1); }));
}

TEST(GradientCheckTest, RejectsAWrongGradient) {
  Tensor x = RandomNormal({3, 5}, 1);
  const ::testing::AssertionResult result = CheckGradients(
      {&x}, [&] { return Cube(x); },
      [&](const Tensor& dy, const std::vector<Tensor*>& dx) {
        CubeBackward(x, dy, dx[0], 1.05f);  // 5% off
      });
  EXPECT_FALSE(result);
  EXPECT_NE(std::string(result.message()).find("gradient elements differ"), std::string::npos);
}

TEST(GradientCheckTest, RejectsAMissingInputGradient) {
  Tensor a = RandomNormal({4}, 2), b = RandomNormal({4}, 3);
  auto forward = [&] {
    Tensor y = Tensor::Empty({4});
    for (int i = 0; i < 4; ++i) y.data<float>()[i] = a.data<float>()[i] * b.data<float>()[i];
    return y;
  };
  // d(ab)/da = b, but the gradient for b is forgotten.
  EXPECT_FALSE(
      CheckGradients({&a, &b}, forward, [&](const Tensor& dy, const std::vector<Tensor*>& d) {
        for (int i = 0; i < 4; ++i) {
          d[0]->data<float>()[i] += b.data<float>()[i] * dy.data<float>()[i];
        }
      }));
}

}  // namespace
}  // namespace nn::testing

namespace nn::testing {
namespace {

// y = relu(x - c): elements within eps of the kink are skipped, the rest still checked.
TEST(GradientCheckTest, SkipsNonSmoothElementsButStillChecksTheRest) {
  Tensor x = Tensor::FromVector({4}, {0.004f, 1.0f, -1.0f, 2.0f});
  auto forward = [&] {
    Tensor y = Tensor::Empty({4});
    for (int i = 0; i < 4; ++i) y.data<float>()[i] = std::max(0.0f, x.data<float>()[i]);
    return y;
  };
  auto backward = [&](float scale) {
    return [&x, scale](const Tensor& dy, const std::vector<Tensor*>& dx) {
      for (int i = 0; i < 4; ++i) {
        dx[0]->data<float>()[i] += x.data<float>()[i] > 0 ? scale * dy.data<float>()[i] : 0;
      }
    };
  };
  GradientCheckOptions options;
  EXPECT_FALSE(CheckGradients({&x}, forward, backward(1)));  // the kink at 0.004 < eps
  options.skip_nonsmooth = true;
  options.max_skipped_fraction = 0.3;
  EXPECT_TRUE(CheckGradients({&x}, forward, backward(1), options));
  EXPECT_FALSE(CheckGradients({&x}, forward, backward(1.1f), options));
  options.max_skipped_fraction = 0.2;
  EXPECT_FALSE(CheckGradients({&x}, forward, backward(1), options));
}

}  // namespace
}  // namespace nn::testing
