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
