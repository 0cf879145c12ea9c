// SGD against hand-derived updates: plain, momentum, dampening, Nesterov, weight decay.
#include "nn/optim/sgd.h"

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

TEST(SGDTest, PlainStep) {
  Parameter p = Scalar(1.0f, 0.5f);
  SGD sgd({{"p", &p}}, {.lr = 0.1});
  sgd.Step();
  EXPECT_FLOAT_EQ(Value(p), 0.95f);  // 1 - 0.1 * 0.5
  EXPECT_EQ(sgd.step_count(), 1);
}

TEST(SGDTest, MomentumFirstStepUsesGradientThenAccumulates) {
  Parameter p = Scalar(1.0f, 1.0f);
  SGD sgd({{"p", &p}}, {.lr = 0.1, .momentum = 0.9});
  sgd.Step();  // b = 1, p = 1 - 0.1
  EXPECT_FLOAT_EQ(Value(p), 0.9f);
  EXPECT_FLOAT_EQ(sgd.state("momentum_buffer", 0).data<float>()[0], 1.0f);
  sgd.Step();  // b = 0.9 * 1 + 1 = 1.9, p = 0.9 - 0.19
  EXPECT_FLOAT_EQ(Value(p), 0.71f);
}

TEST(SGDTest, DampeningSkipsFirstStep) {
  Parameter p = Scalar(0.0f, 1.0f);
  SGD sgd({{"p", &p}}, {.lr = 1.0, .momentum = 0.9, .dampening = 0.5});
  sgd.Step();  // b = 1 (no dampening on the first step, as PyTorch)
  EXPECT_FLOAT_EQ(sgd.state("momentum_buffer", 0).data<float>()[0], 1.0f);
  sgd.Step();  // b = 0.9 + 0.5 * 1 = 1.4
  EXPECT_FLOAT_EQ(sgd.state("momentum_buffer", 0).data<float>()[0], 1.4f);
  EXPECT_FLOAT_EQ(Value(p), -2.4f);
}

TEST(SGDTest, Nesterov) {
  Parameter p = Scalar(1.0f, 1.0f);
  SGD sgd({{"p", &p}}, {.lr = 0.1, .momentum = 0.9, .nesterov = true});
  sgd.Step();  // b = 1, d = 1 + 0.9 * 1 = 1.9, p = 1 - 0.19
  EXPECT_FLOAT_EQ(Value(p), 0.81f);
  sgd.Step();  // b = 1.9, d = 1 + 0.9 * 1.9 = 2.71, p = 0.81 - 0.271
  EXPECT_FLOAT_EQ(Value(p), 0.539f);
}

TEST(SGDTest, WeightDecayIsAddedToTheGradient) {
  Parameter p = Scalar(2.0f, 0.0f);
  SGD sgd({{"p", &p}}, {.lr = 0.1, .momentum = 0.5, .weight_decay = 0.1});
  sgd.Step();  // d = 0 + 0.1 * 2 = 0.2, b = 0.2, p = 2 - 0.02
  EXPECT_FLOAT_EQ(Value(p), 1.98f);
  sgd.Step();  // d = 0.198, b = 0.1 + 0.198 = 0.298, p = 1.98 - 0.0298
  EXPECT_FLOAT_EQ(Value(p), 1.9502f);
}

TEST(SGDTest, LearningRateCanChange) {
  Parameter p = Scalar(1.0f, 1.0f);
  SGD sgd({{"p", &p}}, {.lr = 0.1});
  sgd.set_lr(0.5);
  EXPECT_EQ(sgd.lr(), 0.5);
  sgd.Step();
  EXPECT_FLOAT_EQ(Value(p), 0.5f);
}

TEST(SGDTest, ZeroGradClearsEveryGradient) {
  Parameter a = Scalar(1.0f, 3.0f), b = Scalar(1.0f, -2.0f);
  SGD sgd({{"a", &a}, {"b", &b}}, {.lr = 0.1});
  sgd.ZeroGrad();
  EXPECT_EQ(a.grad.data<float>()[0], 0.0f);
  EXPECT_EQ(b.grad.data<float>()[0], 0.0f);
}

// Large tensors take the thread-pool path; each element is independent, so the result is
// the same bits for any thread count and equals the small-tensor path.
TEST(SGDTest, ParallelPathIsDeterministic) {
  const int saved_threads = base::GetNumThreads();
  const int64_t n = 200003;
  std::vector<float> values(n), grads(n);
  for (int64_t i = 0; i < n; ++i) {
    values[i] = std::sin(0.001f * i);
    grads[i] = std::cos(0.003f * i);
  }
  auto run = [&](int threads) {
    base::SetNumThreads(threads);
    Parameter p{Tensor::FromVector({n}, values), Tensor::FromVector({n}, grads)};
    SGD sgd({{"p", &p}}, {.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-3, .nesterov = true});
    for (int s = 0; s < 3; ++s) sgd.Step();
    return std::vector<float>(p.value.data<float>(), p.value.data<float>() + n);
  };
  const std::vector<float> one = run(1), four = run(4);
  EXPECT_EQ(one, four);
  // Element 12345 alone, through the inline path.
  Parameter q = Scalar(values[12345], grads[12345]);
  SGD sgd({{"q", &q}}, {.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-3, .nesterov = true});
  for (int s = 0; s < 3; ++s) sgd.Step();
  EXPECT_EQ(Value(q), one[12345]);
  base::SetNumThreads(saved_threads);
}

TEST(SGDDeathTest, NesterovNeedsMomentumAndNoDampening) {
  Parameter p = Scalar(1.0f, 1.0f);
  EXPECT_DEATH(SGD({{"p", &p}}, {.lr = 0.1, .nesterov = true}), "Nesterov");
  EXPECT_DEATH(SGD({{"p", &p}}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}),
               "Nesterov");
}

TEST(SGDDeathTest, RejectsBadParameters) {
  Parameter p = Scalar(1.0f, 1.0f);
  EXPECT_DEATH(SGD({{"p", &p}, {"p", &p}}, {.lr = 0.1}), "duplicate parameter name p");
  Parameter bad{Tensor::Zeros({2, 3}), Tensor::Zeros({3, 2})};
  EXPECT_DEATH(SGD({{"bad", &bad}}, {.lr = 0.1}), "gradient of bad");
  EXPECT_DEATH(SGD({{"p", &p}}, {.lr = -1}), "invalid learning rate");
}

}  // namespace
}  // namespace nn::optim
