// ClipGradNorm: total norm, clipping coefficient, inf norm, no-op, non-finite gradients.
#include "nn/optim/clip_grad_norm.h"

#include <cmath>
#include <vector>

#include "base/thread_pool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nn::optim {
namespace {

using ::testing::ElementsAre;
using ::testing::FloatNear;

Parameter WithGrad(const Shape& shape, const std::vector<float>& grad) {
  return Parameter{Tensor::Zeros(shape), Tensor::FromVector(shape, grad)};
}
std::vector<float> Grad(const Parameter& p) {
  return std::vector<float>(p.grad.data<float>(), p.grad.data<float>() + p.grad.numel());
}

TEST(ClipGradNormTest, ScalesToMaxNorm) {
  Parameter a = WithGrad({2}, {3, 4}), b = WithGrad({1}, {12});  // norms 5, 12: total 13
  const float total = ClipGradNorm(std::vector<Parameter*>{&a, &b}, 6.5);
  EXPECT_FLOAT_EQ(total, 13.0f);
  // coef = 6.5 / (13 + 1e-6)
  EXPECT_THAT(Grad(a), ElementsAre(FloatNear(1.5f, 1e-6), FloatNear(2.0f, 1e-6)));
  EXPECT_THAT(Grad(b), ElementsAre(FloatNear(6.0f, 1e-6)));
}

TEST(ClipGradNormTest, SmallGradientsAreUnchanged) {
  Parameter a = WithGrad({2}, {0.3f, -0.4f});
  NamedParameterList named = {{"a", &a}};
  EXPECT_FLOAT_EQ(ClipGradNorm(named, 1.0), 0.5f);
  EXPECT_THAT(Grad(a), ElementsAre(0.3f, -0.4f));  // coef clamped to exactly 1
}

TEST(ClipGradNormTest, InfinityNormIsTheLargestMagnitude) {
  Parameter a = WithGrad({3}, {1, -8, 2}), b = WithGrad({1}, {4});
  const float total = ClipGradNorm(std::vector<Parameter*>{&a, &b}, 2.0, INFINITY);
  EXPECT_FLOAT_EQ(total, 8.0f);
  EXPECT_THAT(Grad(a),
              ElementsAre(FloatNear(0.25f, 1e-6), FloatNear(-2.0f, 1e-6), FloatNear(0.5f, 1e-6)));
}

TEST(ClipGradNormTest, OneNorm) {
  Parameter a = WithGrad({3}, {1, -2, 3});
  EXPECT_FLOAT_EQ(ClipGradNorm(std::vector<Parameter*>{&a}, 100.0, 1.0), 6.0f);
}

TEST(ClipGradNormTest, EmptyListIsZero) {
  EXPECT_EQ(ClipGradNorm(std::vector<Parameter*>{}, 1.0), 0.0f);
}

TEST(ClipGradNormTest, NonFiniteNormPropagatesAsInPyTorch) {
  Parameter a = WithGrad({2}, {NAN, 1});
  EXPECT_TRUE(std::isnan(ClipGradNorm(std::vector<Parameter*>{&a}, 1.0)));
  EXPECT_TRUE(std::isnan(Grad(a)[1]));
}

TEST(ClipGradNormTest, LargeTensorsDoNotDependOnThreads) {
  const int saved_threads = base::GetNumThreads();
  const int64_t n = 300007;
  std::vector<float> grad(n);
  for (int64_t i = 0; i < n; ++i) grad[i] = std::sin(0.01f * i);
  auto run = [&](int threads) {
    base::SetNumThreads(threads);
    Parameter p = WithGrad({n}, grad);
    return std::make_pair(ClipGradNorm(std::vector<Parameter*>{&p}, 1.0), Grad(p));
  };
  const auto one = run(1), four = run(4);
  EXPECT_EQ(one.first, four.first);
  EXPECT_EQ(one.second, four.second);
  double sum = 0;
  for (float g : grad) sum += static_cast<double>(g) * g;
  EXPECT_NEAR(one.first, std::sqrt(sum), 1e-4);
  base::SetNumThreads(saved_threads);
}

}  // namespace
}  // namespace nn::optim
