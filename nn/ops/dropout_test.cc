// Dropout: mask statistics and scaling, reproducibility from the seed (across thread
// counts), eval identity, finite-difference gradient with a fixed mask, contract violations.
#include "nn/ops/dropout.h"

#include <cmath>
#include <vector>

#include "base/thread_pool.h"
#include "gtest/gtest.h"
#include "nn/testing/gradient_check.h"

namespace nn {
namespace {

using testing::CheckGradients;
using testing::RandomNormal;

float At(const Tensor& t, int64_t i) { return t.data<float>()[i]; }

TEST(DropoutTest, TrainingDropsAboutPAndScalesTheRest) {
  const int64_t n = 200000;
  Tensor x = Tensor::Full({n}, 2.0f);
  Tensor y = Tensor::Empty({n}), mask = Tensor::Empty({n});
  const float p = 0.3f;
  DropoutForward(x, p, /*training=*/true, 42, &y, &mask);
  int64_t kept = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (At(mask, i) != 0.0f) {
      ASSERT_EQ(At(mask, i), 1.0f / (1.0f - p));
      ASSERT_EQ(At(y, i), 2.0f * At(mask, i));
      ++kept;
    } else {
      ASSERT_EQ(At(y, i), 0.0f);
    }
  }
  // Binomial(n, 0.7): stddev ~205; 6 sigma.
  EXPECT_NEAR(static_cast<double>(kept), 0.7 * n, 1250);
}

TEST(DropoutTest, SameSeedSameMaskOnAnyThreadCountOtherSeedOtherMask) {
  const int64_t n = 100000;
  Tensor x = RandomNormal({n}, 1);
  std::vector<Tensor> masks;
  for (int threads : {1, 2, 3}) {
    base::SetNumThreads(threads);
    Tensor y = Tensor::Empty({n}), mask = Tensor::Empty({n});
    DropoutForward(x, 0.5f, true, 7, &y, &mask);
    masks.push_back(mask);
  }
  base::SetNumThreads(2);
  Tensor y = Tensor::Empty({n}), other = Tensor::Empty({n});
  DropoutForward(x, 0.5f, true, 8, &y, &other);
  int64_t differ = 0;
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(At(masks[0], i), At(masks[1], i));
    ASSERT_EQ(At(masks[0], i), At(masks[2], i));
    differ += At(masks[0], i) != At(other, i);
  }
  EXPECT_GT(differ, n / 3);  // independent masks differ in ~half the places
}

TEST(DropoutTest, EvalIsIdentityAndEdgeProbabilities) {
  Tensor x = RandomNormal({3, 4}, 2);
  Tensor y = Tensor::Empty(x.shape()), mask = Tensor::Empty(x.shape());
  DropoutForward(x, 0.9f, /*training=*/false, 1, &y, &mask);
  for (int64_t i = 0; i < 12; ++i) {
    EXPECT_EQ(At(y, i), At(x, i));
    EXPECT_EQ(At(mask, i), 1.0f);
  }
  DropoutForward(x, 0.9f, false, 1, &y, nullptr);  // eval needs no mask
  DropoutForward(x, 0.0f, true, 1, &y, &mask);     // p = 0 keeps everything, unscaled
  for (int64_t i = 0; i < 12; ++i) EXPECT_EQ(At(y, i), At(x, i));
  DropoutForward(x, 1.0f, true, 1, &y, &mask);  // p = 1 drops everything
  for (int64_t i = 0; i < 12; ++i) EXPECT_EQ(At(y, i), 0.0f);
  Tensor in_place = x.Clone();
  DropoutForward(in_place, 0.5f, true, 3, &in_place, &mask);
  for (int64_t i = 0; i < 12; ++i) EXPECT_EQ(At(in_place, i), At(x, i) * At(mask, i));
}

TEST(DropoutTest, GradientWithAFixedMask) {
  Tensor x = RandomNormal({4, 25}, 3);
  Tensor mask = Tensor::Empty(x.shape());
  auto forward = [&] {
    Tensor y = Tensor::Empty(x.shape());
    DropoutForward(x, 0.4f, true, 99, &y, &mask);  // the same seed: the same mask
    return y;
  };
  EXPECT_TRUE(
      CheckGradients({&x}, forward, [&](const Tensor& dy, const std::vector<Tensor*>& grads) {
        DropoutBackward(dy, mask, grads[0]);
      }));
  // Backward accumulates.
  Tensor dy = RandomNormal(x.shape(), 4);
  Tensor dx = Tensor::Full(x.shape(), 1.0f);
  DropoutBackward(dy, mask, &dx);
  for (int64_t i = 0; i < x.numel(); ++i) {
    ASSERT_EQ(At(dx, i), 1.0f + At(dy, i) * At(mask, i));
  }
}

TEST(DropoutDeathTest, ContractViolations) {
  Tensor x = Tensor::Zeros({2, 3});
  Tensor y = Tensor::Zeros({2, 3});
  EXPECT_DEATH(
      {
        Tensor mask = Tensor::Zeros({3, 2});
        DropoutForward(x, 0.5f, true, 1, &y, &mask);
      },
      "DropoutForward: mask \\[3, 2\\], expected \\[2, 3\\]");
  EXPECT_DEATH(DropoutForward(x, 0.5f, true, 1, &y, nullptr),
               "training mode needs a mask \\[2, 3\\]");
  EXPECT_DEATH(
      {
        Tensor mask = Tensor::Zeros({2, 3});
        DropoutForward(x, 1.5f, true, 1, &y, &mask);
      },
      "probability 1.5 is not in \\[0, 1\\]");
  EXPECT_DEATH(
      {
        Tensor dx = Tensor::Zeros({6});
        DropoutBackward(x, y, &dx);
      },
      "DropoutBackward: input gradient \\[6\\], expected \\[2, 3\\]");
}

}  // namespace
}  // namespace nn
