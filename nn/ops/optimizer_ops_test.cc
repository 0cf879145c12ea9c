// Optimizer ops against straightforward double-precision references on odd sizes (inline
// and thread-pool paths), thread-count independence, and argument-check deaths. The ops
// have no backward, so there is no gradient check.
#include "nn/ops/optimizer_ops.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "base/thread_pool.h"
#include "gtest/gtest.h"
#include "nn/tensor.h"
#include "nn/testing/tensor_matchers.h"
#if NN_HAVE_CUDA
#include "nn/cuda/runtime.h"
#endif

namespace nn {
namespace {

// 40001 and 100003 take the thread-pool path (and several norm blocks).
const std::vector<int64_t> kSizes = {1, 7, 1001, 40001, 100003};

std::vector<float> Random(int64_t n, uint32_t seed, float low, float high) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(low, high);
  std::vector<float> values(n);
  for (float& v : values) v = uniform(rng);
  return values;
}
std::vector<float> Values(const Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.numel());
}
// |actual - expected| <= 2e-6 * (1 + |expected|): within a few float roundings of the
// reference's magnitude.
constexpr testing::Tolerance kReferenceTolerance = {2e-6, 2e-6};

struct SgdCase {
  SgdStepOptions options;
  const char* name;
};

TEST(SgdStepTest, MatchesDoubleReference) {
  const SgdCase cases[] = {
      {{.lr = 0.1}, "plain"},
      {{.lr = 0.05, .weight_decay = 0.01}, "weight decay"},
      {{.lr = 0.1, .momentum = 0.9, .first_step = true}, "momentum, first step"},
      {{.lr = 0.1, .momentum = 0.9, .dampening = 0.3, .weight_decay = 1e-3}, "dampening"},
      {{.lr = 0.02, .momentum = 0.8, .weight_decay = 0.1, .nesterov = true}, "Nesterov"},
      {{.lr = 0.02, .momentum = 0.8, .nesterov = true, .first_step = true}, "Nesterov, first"},
  };
  for (const SgdCase& c : cases) {
    for (int64_t n : kSizes) {
      SCOPED_TRACE(::testing::Message() << c.name << ", n = " << n);
      const std::vector<float> p0 = Random(n, 1, -2, 2), g = Random(n, 2, -1, 1),
                               b0 = Random(n, 3, -1, 1);
      Tensor param = Tensor::FromVector({n}, p0), buffer = Tensor::FromVector({n}, b0);
      const bool momentum = c.options.momentum != 0;
      SgdStep(Tensor::FromVector({n}, g), c.options, &param, momentum ? &buffer : nullptr);

      const SgdStepOptions& o = c.options;
      std::vector<double> p(n), b(n);
      for (int64_t i = 0; i < n; ++i) {
        double d = g[i] + o.weight_decay * p0[i];
        if (momentum) {
          b[i] = o.first_step ? d : o.momentum * b0[i] + (1 - o.dampening) * d;
          d = o.nesterov ? d + o.momentum * b[i] : b[i];
        }
        p[i] = p0[i] - o.lr * d;
      }
      ASSERT_TRUE(testing::TensorsNear(param, p, kReferenceTolerance)) << "parameter";
      if (momentum) {
        ASSERT_TRUE(testing::TensorsNear(buffer, b, kReferenceTolerance)) << "momentum buffer";
      }
    }
  }
}

TEST(AdamStepTest, MatchesDoubleReference) {
  for (const bool decoupled : {false, true}) {
    for (const int t : {1, 7}) {
      for (int64_t n : kSizes) {
        SCOPED_TRACE(::testing::Message()
                     << (decoupled ? "AdamW" : "Adam") << ", t = " << t << ", n = " << n);
        AdamStepOptions o{.lr = 0.01,
                          .beta1 = 0.8,
                          .beta2 = 0.99,
                          .eps = 1e-6,
                          .weight_decay = 0.05,
                          .decoupled_weight_decay = decoupled};
        o.bias_correction1 = 1 - std::pow(o.beta1, t);
        o.bias_correction2 = 1 - std::pow(o.beta2, t);
        const std::vector<float> p0 = Random(n, 4, -2, 2), g = Random(n, 5, -1, 1),
                                 m0 = Random(n, 6, -0.5, 0.5), v0 = Random(n, 7, 0.1, 1);
        Tensor param = Tensor::FromVector({n}, p0), m = Tensor::FromVector({n}, m0),
               v = Tensor::FromVector({n}, v0);
        AdamStep(Tensor::FromVector({n}, g), o, &param, &m, &v);

        std::vector<double> p_ref(n), m_ref(n), v_ref(n);
        for (int64_t i = 0; i < n; ++i) {
          double p = p0[i], grad = g[i];
          if (decoupled) p *= 1 - o.lr * o.weight_decay;
          if (!decoupled) grad += o.weight_decay * p;
          m_ref[i] = o.beta1 * m0[i] + (1 - o.beta1) * grad;
          v_ref[i] = o.beta2 * v0[i] + (1 - o.beta2) * grad * grad;
          const double m_hat = m_ref[i] / o.bias_correction1;
          const double v_hat = v_ref[i] / o.bias_correction2;
          p_ref[i] = p - o.lr * m_hat / (std::sqrt(v_hat) + o.eps);
        }
        ASSERT_TRUE(testing::TensorsNear(param, p_ref, kReferenceTolerance)) << "parameter";
        ASSERT_TRUE(testing::TensorsNear(m, m_ref, kReferenceTolerance)) << "exp_avg";
        ASSERT_TRUE(testing::TensorsNear(v, v_ref, kReferenceTolerance)) << "exp_avg_sq";
      }
    }
  }
}

TEST(VectorNormTest, MatchesDoubleReference) {
  const double inf = std::numeric_limits<double>::infinity();
  for (const double p : {1.0, 2.0, 3.0, inf}) {
    for (int64_t n : kSizes) {
      SCOPED_TRACE(::testing::Message() << "p = " << p << ", n = " << n);
      const std::vector<float> x = Random(n, 8, -3, 3);
      double expected = 0;
      for (float v : x) {
        const double a = std::fabs(static_cast<double>(v));
        expected = std::isinf(p) ? std::max(expected, a) : expected + std::pow(a, p);
      }
      if (!std::isinf(p)) expected = std::pow(expected, 1 / p);
      const float norm = VectorNorm(Tensor::FromVector({n}, x), p);
      EXPECT_NEAR(norm, expected, 1e-6 * expected);
    }
  }
  EXPECT_EQ(VectorNorm(Tensor::Zeros({0}), 2.0), 0.0f);
}

TEST(VectorNormTest, InfinityNormPropagatesNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(
      VectorNorm(Tensor::FromVector({3}, {1, nan, 2}), std::numeric_limits<double>::infinity())));
}

TEST(ScaleInPlaceTest, MultipliesEveryElementInFloat) {
  for (int64_t n : kSizes) {
    const std::vector<float> x = Random(n, 9, -5, 5);
    Tensor t = Tensor::FromVector({n}, x);
    ScaleInPlace(0.37f, &t);
    const std::vector<float> scaled = Values(t);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(scaled[i], x[i] * 0.37f) << "n = " << n;
  }
}

// Every op gives the same bits for any thread count (the norm's blocks are fixed).
TEST(OptimizerOpsTest, ResultsDoNotDependOnThreadCount) {
  const int saved_threads = base::GetNumThreads();
  const int64_t n = 200003;
  const std::vector<float> p0 = Random(n, 10, -1, 1), g = Random(n, 11, -1, 1);
  auto run = [&](int threads) {
    base::SetNumThreads(threads);
    Tensor grad = Tensor::FromVector({n}, g);
    Tensor sgd_param = Tensor::FromVector({n}, p0), buffer = Tensor::Zeros({n});
    Tensor adam_param = Tensor::FromVector({n}, p0), m = Tensor::Zeros({n}), v = Tensor::Zeros({n});
    for (int step = 1; step <= 3; ++step) {
      SgdStep(grad, {.lr = 0.1, .momentum = 0.9, .nesterov = true, .first_step = step == 1},
              &sgd_param, &buffer);
      AdamStep(grad,
               {.lr = 1e-3,
                .weight_decay = 0.01,
                .decoupled_weight_decay = true,
                .bias_correction1 = 1 - std::pow(0.9, step),
                .bias_correction2 = 1 - std::pow(0.999, step)},
               &adam_param, &m, &v);
    }
    const float norm = VectorNorm(grad, 2.0);
    ScaleInPlace(1 / norm, &grad);
    std::vector<float> all = Values(sgd_param);
    for (const Tensor* t : {&adam_param, &m, &v, &grad}) {
      const std::vector<float> values = Values(*t);
      all.insert(all.end(), values.begin(), values.end());
    }
    all.push_back(norm);
    return all;
  };
  const std::vector<float> one = run(1);
  EXPECT_EQ(one, run(3));
  EXPECT_EQ(one, run(4));
  base::SetNumThreads(saved_threads);
}

TEST(OptimizerOpsDeathTest, MismatchedShapesNameTheArgument) {
  Tensor grad = Tensor::Zeros({4}), param = Tensor::Zeros({4}), small = Tensor::Zeros({3});
  EXPECT_DEATH(SgdStep(grad, {.lr = 0.1}, &small, nullptr),
               "SgdStep: parameter \\[3\\], expected \\[4\\]");
  EXPECT_DEATH(SgdStep(grad, {.lr = 0.1, .momentum = 0.9}, &param, &small),
               "SgdStep: momentum buffer \\[3\\], expected \\[4\\]");
  Tensor m = Tensor::Zeros({4});
  EXPECT_DEATH(AdamStep(grad, {.lr = 0.1}, &param, &m, &small),
               "AdamStep: exp_avg_sq \\[3\\], expected \\[4\\]");
  EXPECT_DEATH(AdamStep(small, {.lr = 0.1}, &param, &m, &m),
               "AdamStep: parameter \\[4\\], expected \\[3\\]");
}

TEST(OptimizerOpsDeathTest, MomentumBufferExactlyWithMomentum) {
  Tensor grad = Tensor::Zeros({2}), param = Tensor::Zeros({2}), buffer = Tensor::Zeros({2});
  EXPECT_DEATH(SgdStep(grad, {.lr = 0.1}, &param, &buffer),
               "SgdStep: momentum 0 takes no momentum buffer");
  EXPECT_DEATH(SgdStep(grad, {.lr = 0.1, .momentum = 0.9}, &param, nullptr),
               "SgdStep: momentum 0.9 needs a momentum buffer");
  EXPECT_DEATH(SgdStep(grad, {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true},
                       &param, &buffer),
               "SgdStep: Nesterov momentum requires a momentum and zero dampening");
}

TEST(OptimizerOpsDeathTest, BadScalarsAndTypes) {
  Tensor grad = Tensor::Zeros({2}), param = Tensor::Zeros({2}), m = Tensor::Zeros({2}),
         v = Tensor::Zeros({2});
  EXPECT_DEATH(AdamStep(grad, {.lr = 0.1, .bias_correction1 = 0}, &param, &m, &v),
               "AdamStep: bias corrections must be in \\(0, 1\\], are 0 and 1");
  EXPECT_DEATH(VectorNorm(grad, 0), "VectorNorm: norm_type must be positive or inf, is 0");
  Tensor half = Tensor::Zeros({2}, DType::kFloat16);
  EXPECT_DEATH(VectorNorm(half, 2),
               "VectorNorm: input must be float32, got Tensor\\(float16, cpu, \\[2\\]\\)");
  EXPECT_DEATH(ScaleInPlace(2, nullptr), "ScaleInPlace: input is null");
  EXPECT_DEATH(SgdStep(grad, {.lr = 0.1}, nullptr, nullptr), "SgdStep: parameter is null");
}

#if NN_HAVE_CUDA
class OptimizerOpsCudaDeathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const cuda::DeviceQuery query = cuda::QueryDevices();
    if (query.count == 0) GTEST_SKIP() << "no usable CUDA GPU (" << query.error << ")";
  }
};

using OptimizerOpsCudaTest = OptimizerOpsCudaDeathTest;  // the same GPU check, no death

// Ten AdamW and ten SGD (Nesterov) steps on the GPU give the CPU's bits: the CUDA kernels
// round every operation as the CPU kernels do (odd size: grid-stride tails).
TEST_F(OptimizerOpsCudaTest, TenStepsOnTheGpuGiveTheCpusBits) {
  const int64_t n = 100003;
  Tensor p = testing::RandomNormal({n}, 1), m = Tensor::Zeros({n}), v = Tensor::Zeros({n});
  Tensor q = p.Clone(), b = Tensor::Zeros({n});
  Tensor pg = p.To(Device::CUDA()), mg = m.To(Device::CUDA()), vg = v.To(Device::CUDA());
  Tensor qg = q.To(Device::CUDA()), bg = b.To(Device::CUDA());
  for (int step = 1; step <= 10; ++step) {
    const Tensor grad = testing::RandomNormal({n}, 100 + step), grad_gpu = grad.To(Device::CUDA());
    AdamStepOptions adam{.lr = 1e-3, .weight_decay = 0.01, .decoupled_weight_decay = true};
    adam.bias_correction1 = 1 - std::pow(0.9, step);
    adam.bias_correction2 = 1 - std::pow(0.999, step);
    AdamStep(grad, adam, &p, &m, &v);
    AdamStep(grad_gpu, adam, &pg, &mg, &vg);
    const SgdStepOptions sgd{.lr = 0.01,
                             .momentum = 0.9,
                             .weight_decay = 1e-4,
                             .nesterov = true,
                             .first_step = step == 1};
    SgdStep(grad, sgd, &q, &b);
    SgdStep(grad_gpu, sgd, &qg, &bg);
  }
  for (const auto& [cpu, gpu] : {std::pair{p, pg}, {m, mg}, {v, vg}, {q, qg}, {b, bg}}) {
    const Tensor back = gpu.To(Device::CPU());
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(back.data<float>()[i], cpu.data<float>()[i]) << i;
  }
  EXPECT_NEAR(VectorNorm(pg, 2.0), VectorNorm(p, 2.0), 1e-6 * VectorNorm(p, 2.0));
}

TEST_F(OptimizerOpsCudaDeathTest, WrongDeviceNamesBothDevices) {
  Tensor grad = Tensor::Zeros({2}, DType::kFloat32, Device::CUDA());
  Tensor param = Tensor::Zeros({2});
  EXPECT_DEATH(SgdStep(grad, {.lr = 0.1}, &param, nullptr),
               "SgdStep: parameter is on cpu but gradient is on cuda:0");
}
#endif

}  // namespace
}  // namespace nn
