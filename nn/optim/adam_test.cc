// Adam and AdamW against hand-derived updates (bias correction, L2 vs decoupled decay).
#include "nn/optim/adam.h"

#include <cmath>
#include <vector>

#include "base/thread_pool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nn::optim {
namespace {

Parameter Scalar(float value, float grad) {
  return Parameter{Tensor::FromVector({1}, {value}), Tensor::FromVector({1}, {grad})};
}
float Value(const Parameter& p) { return p.value.data<float>()[0]; }

TEST(AdamTest, TwoStepsByHand) {
  Parameter p = Scalar(1.0f, 2.0f);
  Adam adam({{"p", &p}}, {.lr = 0.01});
  adam.Step();
  // m = 0.2, v = 0.004; m / 0.1 = 2, sqrt(v / 0.001) = 2: p = 1 - 0.01 * 2 / (2 + 1e-8).
  EXPECT_NEAR(Value(p), 0.99f, 1e-7);
  EXPECT_FLOAT_EQ(adam.state("exp_avg", 0).data<float>()[0], 0.2f);
  EXPECT_FLOAT_EQ(adam.state("exp_avg_sq", 0).data<float>()[0], 0.004f);

  p.grad.data<float>()[0] = -1.0f;
  adam.Step();
  const double m = 0.9 * 0.2 - 0.1, v = 0.999 * 0.004 + 0.001;
  const double m_hat = m / (1 - 0.9 * 0.9), v_hat = v / (1 - 0.999 * 0.999);
  EXPECT_NEAR(Value(p), 0.99 - 0.01 * m_hat / (std::sqrt(v_hat) + 1e-8), 1e-6);
  EXPECT_EQ(adam.step_count(), 2);
}

TEST(AdamTest, L2WeightDecayGoesThroughTheMoments) {
  // g = 0 + 0.1 * 1 = 0.1: the first step moves by lr, as for any gradient.
  Parameter p = Scalar(1.0f, 0.0f);
  Adam adam({{"p", &p}}, {.lr = 0.01, .weight_decay = 0.1});
  adam.Step();
  EXPECT_NEAR(Value(p), 0.99f, 1e-6);
}

TEST(AdamWTest, DecoupledWeightDecayShrinksTheParameter) {
  // Zero gradient: no Adam update, only p * (1 - lr * wd).
  Parameter p = Scalar(1.0f, 0.0f);
  AdamW adamw({{"p", &p}}, [] {
    AdamWOptions o;
    o.lr = 0.01;
    o.weight_decay = 0.1;
    return o;
  }());
  EXPECT_EQ(adamw.type(), "AdamW");
  adamw.Step();
  EXPECT_FLOAT_EQ(Value(p), 0.999f);
  adamw.Step();
  EXPECT_FLOAT_EQ(Value(p), 0.999f * 0.999f);
}

TEST(AdamWTest, DefaultWeightDecayIsPyTorchs) {
  EXPECT_EQ(AdamWOptions().weight_decay, 1e-2);
  EXPECT_EQ(AdamOptions().weight_decay, 0);
}

TEST(AdamTest, ParallelPathIsDeterministic) {
  const int saved_threads = base::GetNumThreads();
  const int64_t n = 150001;
  std::vector<float> values(n), grads(n);
  for (int64_t i = 0; i < n; ++i) {
    values[i] = std::sin(0.002f * i);
    grads[i] = std::cos(0.007f * i) * 1e-3f;
  }
  auto run = [&](int threads) {
    base::SetNumThreads(threads);
    Parameter p{Tensor::FromVector({n}, values), Tensor::FromVector({n}, grads)};
    AdamW adamw({{"p", &p}});
    for (int s = 0; s < 4; ++s) adamw.Step();
    return std::vector<float>(p.value.data<float>(), p.value.data<float>() + n);
  };
  const std::vector<float> one = run(1), three = run(3);
  EXPECT_EQ(one, three);
  Parameter q = Scalar(values[777], grads[777]);
  AdamW adamw({{"q", &q}});
  for (int s = 0; s < 4; ++s) adamw.Step();
  EXPECT_EQ(Value(q), one[777]);
  base::SetNumThreads(saved_threads);
}

TEST(AdamDeathTest, RejectsBadHyperparameters) {
  Parameter p = Scalar(1.0f, 1.0f);
  EXPECT_DEATH(Adam({{"p", &p}}, {.lr = 0.1, .beta1 = 1.0}), "invalid beta1");
  EXPECT_DEATH(Adam({{"p", &p}}, {.lr = 0.1, .beta2 = -0.5}), "invalid beta2");
  EXPECT_DEATH(Adam({{"p", &p}}, {.lr = 0.1, .eps = -1}), "invalid eps");
  EXPECT_DEATH(Adam({{"p", &p}}, {.lr = 0.1, .weight_decay = -1}), "invalid weight_decay");
}

}  // namespace
}  // namespace nn::optim
