// Tests of the LSTM op: forward against a scalar double-precision reference, finite-difference
// gradient checks of the input and every weight and bias, dropout properties, gradient
// accumulation and contract violations.
#include "nn/ops/lstm.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "base/thread_pool.h"
#include "gtest/gtest.h"
#include "nn/testing/gradient_check.h"

namespace nn {
namespace {

using testing::CheckGradients;
using testing::GradientCheckOptions;
using testing::RandomNormal;
using testing::RandomUniform;

std::vector<LstmDirectionWeights> RandomWeights(const LstmOptions& o, uint32_t seed, float scale) {
  std::vector<LstmDirectionWeights> weights = LstmZeroWeights(o);
  uint32_t k = 0;
  for (Tensor* p : LstmParameters(o, &weights)) {
    *p = RandomUniform(p->shape(), seed * 1000 + k++, -scale, scale);
  }
  return weights;
}

Shape InputShape(const LstmOptions& o, int64_t T, int64_t B) {
  return o.batch_first ? Shape{B, T, o.input_size} : Shape{T, B, o.input_size};
}
Shape OutputShape(const LstmOptions& o, int64_t T, int64_t B) {
  const int64_t width = o.num_directions() * o.hidden_size;
  return o.batch_first ? Shape{B, T, width} : Shape{T, B, width};
}

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// A direct, scalar, double-precision LSTM (no dropout), time-major [T][B][.] vectors.
struct Reference {
  std::vector<double> output;  // [T, B, D*H]
  std::vector<double> h_n;     // [L*D, B, H]
  std::vector<double> c_n;
};
Reference ReferenceLstm(const LstmOptions& o, const std::vector<LstmDirectionWeights>& weights,
                        const Tensor& input, int64_t T, int64_t B) {
  const int D = o.num_directions();
  const int64_t H = o.hidden_size;
  std::vector<double> x(input.numel());
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t j = 0; j < o.input_size; ++j) {
        const int64_t src =
            o.batch_first ? (b * T + t) * o.input_size + j : (t * B + b) * o.input_size + j;
        x[(t * B + b) * o.input_size + j] = input.data<float>()[src];
      }
    }
  }
  Reference ref;
  ref.h_n.assign(o.num_layers * D * B * H, 0.0);
  ref.c_n.assign(o.num_layers * D * B * H, 0.0);
  int64_t in = o.input_size;
  for (int l = 0; l < o.num_layers; ++l) {
    std::vector<double> y(T * B * D * H);
    for (int d = 0; d < D; ++d) {
      const LstmDirectionWeights& w = weights[l * D + d];
      const float* wih = w.w_ih.data<float>();
      const float* whh = w.w_hh.data<float>();
      for (int64_t b = 0; b < B; ++b) {
        std::vector<double> h(H, 0.0), c(H, 0.0), a(4 * H);
        for (int64_t s = 0; s < T; ++s) {
          const int64_t t = d == 0 ? s : T - 1 - s;
          for (int64_t r = 0; r < 4 * H; ++r) {
            double sum = o.bias ? double(w.b_ih.data<float>()[r]) + w.b_hh.data<float>()[r] : 0;
            for (int64_t j = 0; j < in; ++j) sum += wih[r * in + j] * x[(t * B + b) * in + j];
            for (int64_t j = 0; j < H; ++j) sum += whh[r * H + j] * h[j];
            a[r] = sum;
          }
          for (int64_t j = 0; j < H; ++j) {
            const double i = Sigmoid(a[j]), f = Sigmoid(a[H + j]), g = std::tanh(a[2 * H + j]),
                         og = Sigmoid(a[3 * H + j]);
            c[j] = f * c[j] + i * g;
            h[j] = og * std::tanh(c[j]);
            y[(t * B + b) * D * H + d * H + j] = h[j];
          }
        }
        for (int64_t j = 0; j < H; ++j) {
          ref.h_n[((l * D + d) * B + b) * H + j] = h[j];
          ref.c_n[((l * D + d) * B + b) * H + j] = c[j];
        }
      }
    }
    x = y;
    in = D * H;
  }
  ref.output = x;
  return ref;
}

void ExpectForwardMatchesReference(const LstmOptions& o, int64_t T, int64_t B) {
  const std::vector<LstmDirectionWeights> weights = RandomWeights(o, 3, 0.5f);
  const Tensor input = RandomNormal(InputShape(o, T, B), 4);
  const int64_t LD = o.num_layers * o.num_directions();
  Tensor output = Tensor::Empty(OutputShape(o, T, B));
  Tensor h_n = Tensor::Empty({LD, B, o.hidden_size});
  Tensor c_n = Tensor::Empty({LD, B, o.hidden_size});
  LstmForward(o, weights, input, /*training=*/false, 0, &output, &h_n, &c_n, nullptr);
  const Reference ref = ReferenceLstm(o, weights, input, T, B);
  const int64_t width = o.num_directions() * o.hidden_size;
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t j = 0; j < width; ++j) {
        const int64_t k = o.batch_first ? (b * T + t) * width + j : (t * B + b) * width + j;
        ASSERT_NEAR(output.data<float>()[k], ref.output[(t * B + b) * width + j], 2e-6)
            << "t " << t << " b " << b << " j " << j;
      }
    }
  }
  for (int64_t k = 0; k < h_n.numel(); ++k) {
    ASSERT_NEAR(h_n.data<float>()[k], ref.h_n[k], 2e-6) << k;
    ASSERT_NEAR(c_n.data<float>()[k], ref.c_n[k], 4e-6) << k;
  }
}

TEST(LstmForwardTest, OneLayerMatchesScalarReference) {
  ExpectForwardMatchesReference({.input_size = 5, .hidden_size = 4}, 6, 3);
}

TEST(LstmForwardTest, TwoLayerBidirectionalMatchesScalarReference) {
  ExpectForwardMatchesReference(
      {.input_size = 5, .hidden_size = 7, .num_layers = 2, .bidirectional = true}, 5, 2);
}

TEST(LstmForwardTest, ThreeLayerNoBiasBatchFirstMatchesScalarReference) {
  ExpectForwardMatchesReference({.input_size = 3,
                                 .hidden_size = 6,
                                 .num_layers = 3,
                                 .bias = false,
                                 .batch_first = true,
                                 .bidirectional = true},
                                4, 3);
}

TEST(LstmForwardTest, SingleStepAndSingleBatch) {
  ExpectForwardMatchesReference(
      {.input_size = 2, .hidden_size = 3, .num_layers = 2, .bidirectional = true}, 1, 1);
}

TEST(LstmForwardTest, LargeShapesUseParallelGemmsAndMatchReference) {
  // Large enough that the input projection, recurrence and gradient GEMMs are split over
  // threads (> 2 MFLOP each).
  ExpectForwardMatchesReference({.input_size = 96, .hidden_size = 80}, 3, 48);
}

// Forward and backward at one shape, with their results flattened into one vector.
std::vector<float> ForwardBackwardResults(const LstmOptions& o, int64_t T, int64_t B) {
  const std::vector<LstmDirectionWeights> weights = RandomWeights(o, 5, 0.1f);
  const Tensor input = RandomNormal(InputShape(o, T, B), 6);
  Tensor output = Tensor::Empty(OutputShape(o, T, B));
  LstmCache cache;
  LstmForward(o, weights, input, /*training=*/true, 3, &output, nullptr, nullptr, &cache);
  Tensor input_grad = Tensor::Zeros(input.shape());
  std::vector<LstmDirectionWeights> weight_grads = LstmZeroWeights(o);
  LstmBackward(o, weights, cache, RandomNormal(output.shape(), 7), &input_grad, &weight_grads);
  std::vector<float> all(output.data<float>(), output.data<float>() + output.numel());
  all.insert(all.end(), input_grad.data<float>(), input_grad.data<float>() + input_grad.numel());
  for (Tensor* g : LstmParameters(o, &weight_grads)) {
    all.insert(all.end(), g->data<float>(), g->data<float>() + g->numel());
  }
  return all;
}

TEST(LstmTest, ResultsAreTheSameBitsForAnyThreadCount) {
  for (const LstmOptions& o : {LstmOptions{.input_size = 64,
                              .hidden_size = 96,
                              .num_layers = 2,
                              .bidirectional = true,
                              .dropout = 0.2f},
                               LstmOptions{.input_size = 200, .hidden_size = 160, .bias = false}}) {
    const int threads = base::GetNumThreads();
    base::SetNumThreads(1);
    const std::vector<float> one = ForwardBackwardResults(o, 6, 16);
    base::SetNumThreads(3);
    const std::vector<float> three = ForwardBackwardResults(o, 6, 16);
    base::SetNumThreads(threads);
    ASSERT_EQ(one.size(), three.size());
    EXPECT_EQ(std::memcmp(one.data(), three.data(), one.size() * sizeof(float)), 0);
  }
}

TEST(LstmTest, ParameterNamesFollowPytorchStateDictOrder) {
  const LstmOptions o{.input_size = 3, .hidden_size = 2, .num_layers = 2, .bidirectional = true};
  const std::vector<std::string> expected = {
      "weight_ih_l0",         "weight_hh_l0",         "bias_ih_l0",         "bias_hh_l0",
      "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
      "weight_ih_l1",         "weight_hh_l1",         "bias_ih_l1",         "bias_hh_l1",
      "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"};
  EXPECT_EQ(LstmParameterNames(o), expected);
  std::vector<LstmDirectionWeights> w = LstmZeroWeights(o);
  const std::vector<Tensor*> params = LstmParameters(o, &w);
  ASSERT_EQ(params.size(), expected.size());
  EXPECT_EQ(params[8]->shape(), Shape({8, 4}));  // weight_ih_l1: [4H, 2H]
  EXPECT_EQ(params[5]->shape(), Shape({8, 2}));  // weight_hh_l0_reverse: [4H, H]
  EXPECT_EQ(LstmParameterNames({.input_size = 3, .hidden_size = 2, .bias = false}),
            (std::vector<std::string>{"weight_ih_l0", "weight_hh_l0"}));
}

// Checks d(sum(output * R))/d(input and every parameter) against central differences.
void ExpectGradientsMatch(const LstmOptions& o, int64_t T, int64_t B, bool training,
                          uint64_t dropout_seed, float weight_scale = 0.6f) {
  std::vector<LstmDirectionWeights> weights = RandomWeights(o, 7, weight_scale);
  Tensor input = RandomNormal(InputShape(o, T, B), 8);
  std::vector<Tensor*> inputs = {&input};
  for (Tensor* p : LstmParameters(o, &weights)) inputs.push_back(p);
  LstmCache cache;
  const auto forward = [&] {
    Tensor output = Tensor::Empty(OutputShape(o, T, B));
    LstmForward(o, weights, input, training, dropout_seed, &output, nullptr, nullptr, &cache);
    return output;
  };
  const auto backward = [&](const Tensor& output_grad, const std::vector<Tensor*>& grads) {
    std::vector<LstmDirectionWeights> weight_grads = LstmZeroWeights(o);
    const std::vector<Tensor*> params = LstmParameters(o, &weight_grads);
    for (size_t k = 0; k < params.size(); ++k) *params[k] = *grads[k + 1];  // shares storage
    LstmBackward(o, weights, cache, output_grad, grads[0], &weight_grads);
  };
  GradientCheckOptions check;
  check.max_elements_per_input = 48;
  EXPECT_TRUE(CheckGradients(inputs, forward, backward, check));
}

TEST(LstmGradientTest, OneLayerUnidirectional) {
  ExpectGradientsMatch({.input_size = 3, .hidden_size = 4}, 5, 2, false, 0);
}

TEST(LstmGradientTest, TwoLayerBidirectionalWithBias) {
  ExpectGradientsMatch({.input_size = 3, .hidden_size = 3, .num_layers = 2, .bidirectional = true},
                       4, 2, false, 0);
}

TEST(LstmGradientTest, NoBias) {
  ExpectGradientsMatch(
      {.input_size = 4, .hidden_size = 3, .num_layers = 2, .bias = false, .bidirectional = true}, 4,
      2, false, 0);
}

TEST(LstmGradientTest, BatchFirst) {
  ExpectGradientsMatch(
      {.input_size = 3, .hidden_size = 3, .batch_first = true, .bidirectional = true}, 4, 3, false,
      0);
}

TEST(LstmGradientTest, SingleStep) {
  ExpectGradientsMatch({.input_size = 2, .hidden_size = 3, .num_layers = 2, .bidirectional = true},
                       1, 2, false, 0);
}

TEST(LstmGradientTest, LargeShapesUseParallelGemms) {
  // Every GEMM of forward and backward is above the threshold where it is split over
  // threads (the recurrent step: 2 * 48 * 320 * 80 flops > 2 MiFLOP).
  ExpectGradientsMatch({.input_size = 96, .hidden_size = 80}, 3, 48, false, 0,
                       /*weight_scale=*/0.1f);
}

TEST(LstmGradientTest, InterLayerDropoutWithFixedSeed) {
  // The mask is a pure function of the seed, so every forward of the harness applies the
  // same one and the op is a fixed smooth function of its inputs.
  const LstmOptions o{
      .input_size = 3, .hidden_size = 4, .num_layers = 3, .bidirectional = true, .dropout = 0.4f};
  ExpectGradientsMatch(o, 4, 2, /*training=*/true, /*dropout_seed=*/1234);
}

TEST(LstmGradientTest, DropoutMasksAreUsedInBackward) {
  const LstmOptions o{.input_size = 3, .hidden_size = 4, .num_layers = 2, .dropout = 0.5f};
  const std::vector<LstmDirectionWeights> weights = RandomWeights(o, 9, 0.5f);
  const Tensor input = RandomNormal({5, 2, 3}, 10);
  Tensor output = Tensor::Empty({5, 2, 4});
  LstmCache cache;
  LstmForward(o, weights, input, /*training=*/true, 77, &output, nullptr, nullptr, &cache);
  ASSERT_EQ(cache.dropout_masks.size(), 1u);
  // A layer-0 output element dropped by the mask gets no gradient from layer 1, so a
  // gradient w.r.t. the input only flows through the kept ones: compare with the gradient
  // computed when the mask keeps everything (p = 0).
  Tensor grad_dropout = Tensor::Zeros({5, 2, 3});
  LstmBackward(o, weights, cache, Tensor::Full({5, 2, 4}, 1.0f), &grad_dropout, nullptr);
  LstmOptions no_dropout = o;
  no_dropout.dropout = 0.0f;
  LstmCache cache0;
  LstmForward(no_dropout, weights, input, true, 77, &output, nullptr, nullptr, &cache0);
  Tensor grad_plain = Tensor::Zeros({5, 2, 3});
  LstmBackward(no_dropout, weights, cache0, Tensor::Full({5, 2, 4}, 1.0f), &grad_plain, nullptr);
  double diff = 0;
  for (int64_t k = 0; k < grad_plain.numel(); ++k) {
    diff += std::abs(grad_plain.data<float>()[k] - grad_dropout.data<float>()[k]);
  }
  EXPECT_GT(diff, 1e-3);
}

TEST(LstmDropoutTest, MaskIsPureFunctionOfSeedWithExpectedFraction) {
  const LstmOptions o{
      .input_size = 8, .hidden_size = 32, .num_layers = 3, .bidirectional = true, .dropout = 0.3f};
  const std::vector<LstmDirectionWeights> weights = RandomWeights(o, 11, 0.3f);
  const Tensor input = RandomNormal({20, 8, 8}, 12);
  Tensor out_a = Tensor::Empty({20, 8, 64}), out_b = Tensor::Empty({20, 8, 64}),
         out_c = Tensor::Empty({20, 8, 64});
  LstmCache cache;
  LstmForward(o, weights, input, true, 42, &out_a, nullptr, nullptr, &cache);
  LstmForward(o, weights, input, true, 42, &out_b, nullptr, nullptr, nullptr);
  LstmForward(o, weights, input, true, 43, &out_c, nullptr, nullptr, nullptr);
  bool same = true, differs = false;
  for (int64_t k = 0; k < out_a.numel(); ++k) {
    same = same && out_a.data<float>()[k] == out_b.data<float>()[k];
    differs = differs || out_a.data<float>()[k] != out_c.data<float>()[k];
  }
  EXPECT_TRUE(same) << "same seed, different output";
  EXPECT_TRUE(differs) << "different seeds, same output";
  ASSERT_EQ(cache.dropout_masks.size(), 2u);  // not after the last layer
  for (const Tensor& mask : cache.dropout_masks) {
    int64_t zeros = 0;
    for (int64_t k = 0; k < mask.numel(); ++k) {
      const float m = mask.data<float>()[k];
      ASSERT_TRUE(m == 0.0f || m == 1.0f / 0.7f) << m;
      zeros += m == 0.0f;
    }
    EXPECT_NEAR(static_cast<double>(zeros) / mask.numel(), 0.3, 0.02);  // n = 10240
  }
  // The two layers' masks differ.
  EXPECT_NE(std::memcmp(cache.dropout_masks[0].data<float>(), cache.dropout_masks[1].data<float>(),
                        cache.dropout_masks[0].bytes()),
            0);
}

TEST(LstmDropoutTest, EvalAndZeroProbabilityAreIdentity) {
  LstmOptions o{.input_size = 4, .hidden_size = 5, .num_layers = 2, .dropout = 0.5f};
  const std::vector<LstmDirectionWeights> weights = RandomWeights(o, 13, 0.5f);
  const Tensor input = RandomNormal({6, 3, 4}, 14);
  Tensor eval = Tensor::Empty({6, 3, 5}), train = Tensor::Empty({6, 3, 5}),
         train_p0 = Tensor::Empty({6, 3, 5});
  LstmCache eval_cache;
  LstmForward(o, weights, input, /*training=*/false, 1, &eval, nullptr, nullptr, &eval_cache);
  EXPECT_TRUE(eval_cache.dropout_masks.empty());
  LstmForward(o, weights, input, /*training=*/true, 1, &train, nullptr, nullptr, nullptr);
  o.dropout = 0.0f;
  LstmForward(o, weights, input, /*training=*/true, 1, &train_p0, nullptr, nullptr, nullptr);
  bool train_differs = false;
  for (int64_t k = 0; k < eval.numel(); ++k) {
    ASSERT_EQ(eval.data<float>()[k], train_p0.data<float>()[k]) << k;
    train_differs = train_differs || eval.data<float>()[k] != train.data<float>()[k];
  }
  EXPECT_TRUE(train_differs);
}

TEST(LstmDropoutTest, ProbabilityOneZeroesTheNextLayersInput) {
  const LstmOptions o{.input_size = 3, .hidden_size = 4, .num_layers = 2, .dropout = 1.0f};
  const std::vector<LstmDirectionWeights> weights = RandomWeights(o, 15, 0.5f);
  const Tensor input = RandomNormal({3, 2, 3}, 16);
  Tensor out = Tensor::Empty({3, 2, 4});
  LstmCache cache;
  LstmForward(o, weights, input, true, 5, &out, nullptr, nullptr, &cache);
  for (int64_t k = 0; k < cache.layer_inputs[1].numel(); ++k) {
    ASSERT_EQ(cache.layer_inputs[1].data<float>()[k], 0.0f);
  }
}

TEST(LstmBackwardTest, AccumulatesAndSkipsNullGradients) {
  const LstmOptions o{.input_size = 3, .hidden_size = 4, .num_layers = 2, .bidirectional = true};
  const std::vector<LstmDirectionWeights> weights = RandomWeights(o, 17, 0.5f);
  const Tensor input = RandomNormal({4, 2, 3}, 18);
  const Tensor dy = RandomNormal({4, 2, 8}, 19);
  Tensor out = Tensor::Empty({4, 2, 8});
  LstmCache cache;
  LstmForward(o, weights, input, false, 0, &out, nullptr, nullptr, &cache);

  Tensor dx_once = Tensor::Zeros({4, 2, 3});
  std::vector<LstmDirectionWeights> dw_once = LstmZeroWeights(o);
  LstmBackward(o, weights, cache, dy, &dx_once, &dw_once);

  Tensor dx_twice = Tensor::Full({4, 2, 3}, 0.0f);
  std::vector<LstmDirectionWeights> dw_twice = LstmZeroWeights(o);
  LstmBackward(o, weights, cache, dy, &dx_twice, &dw_twice);
  LstmBackward(o, weights, cache, dy, nullptr, &dw_twice);  // weights only
  LstmBackward(o, weights, cache, dy, &dx_twice, nullptr);  // input only

  for (int64_t k = 0; k < dx_once.numel(); ++k) {
    ASSERT_NEAR(dx_twice.data<float>()[k], 2 * dx_once.data<float>()[k], 1e-5) << k;
  }
  const std::vector<Tensor*> once = LstmParameters(o, &dw_once);
  const std::vector<Tensor*> twice = LstmParameters(o, &dw_twice);
  for (size_t p = 0; p < once.size(); ++p) {
    double norm = 0;
    for (int64_t k = 0; k < once[p]->numel(); ++k) {
      ASSERT_NEAR(twice[p]->data<float>()[k], 2 * once[p]->data<float>()[k], 1e-5)
          << LstmParameterNames(o)[p] << " " << k;
      norm += std::abs(once[p]->data<float>()[k]);
    }
    EXPECT_GT(norm, 0) << LstmParameterNames(o)[p];
  }
}

TEST(LstmDeathTest, WrongInputWidthPrintsShapes) {
  const LstmOptions o{.input_size = 3, .hidden_size = 4};
  const std::vector<LstmDirectionWeights> weights = RandomWeights(o, 1, 0.5f);
  const Tensor input = Tensor::Zeros({5, 2, 6});
  Tensor out = Tensor::Empty({5, 2, 4});
  EXPECT_DEATH(LstmForward(o, weights, input, false, 0, &out, nullptr, nullptr, nullptr),
               "LstmForward: input is \\[5, 2, 6\\], expected \\[T, B, 3\\]");
}

TEST(LstmDeathTest, WrongWeightShapeNamesTheParameter) {
  const LstmOptions o{.input_size = 3, .hidden_size = 4, .num_layers = 2, .bidirectional = true};
  std::vector<LstmDirectionWeights> weights = RandomWeights(o, 1, 0.5f);
  weights[3].w_ih = Tensor::Zeros({16, 4});  // layer 1 reads [.., 2H = 8]
  const Tensor input = Tensor::Zeros({5, 2, 3});
  Tensor out = Tensor::Empty({5, 2, 8});
  EXPECT_DEATH(LstmForward(o, weights, input, false, 0, &out, nullptr, nullptr, nullptr),
               "LstmForward: weights weight_ih_l1_reverse \\[16, 4\\], expected \\[16, 8\\]");
}

TEST(LstmDeathTest, BiasMismatch) {
  const LstmOptions o{.input_size = 3, .hidden_size = 4, .bias = false};
  std::vector<LstmDirectionWeights> weights = RandomWeights(o, 1, 0.5f);
  weights[0].b_ih = Tensor::Zeros({16});
  weights[0].b_hh = Tensor::Zeros({16});
  const Tensor input = Tensor::Zeros({5, 2, 3});
  Tensor out = Tensor::Empty({5, 2, 4});
  EXPECT_DEATH(LstmForward(o, weights, input, false, 0, &out, nullptr, nullptr, nullptr),
               "has biases but options.bias is false");
}

TEST(LstmDeathTest, WrongOutputAndGradientShapes) {
  const LstmOptions o{.input_size = 3, .hidden_size = 4, .batch_first = true};
  const std::vector<LstmDirectionWeights> weights = RandomWeights(o, 1, 0.5f);
  const Tensor input = Tensor::Zeros({2, 5, 3});
  Tensor wrong = Tensor::Empty({5, 2, 4});
  EXPECT_DEATH(LstmForward(o, weights, input, false, 0, &wrong, nullptr, nullptr, nullptr),
               "LstmForward: output \\[5, 2, 4\\], expected \\[2, 5, 4\\]");
  Tensor out = Tensor::Empty({2, 5, 4});
  LstmCache cache;
  LstmForward(o, weights, input, false, 0, &out, nullptr, nullptr, &cache);
  EXPECT_DEATH(LstmBackward(o, weights, cache, wrong, nullptr, nullptr),
               "LstmBackward: output_grad \\[5, 2, 4\\], expected \\[2, 5, 4\\]");
  Tensor wrong_h = Tensor::Empty({2, 2, 4});
  EXPECT_DEATH(LstmForward(o, weights, input, false, 0, &out, &wrong_h, nullptr, nullptr),
               "LstmForward: h_n \\[2, 2, 4\\], expected \\[1, 2, 4\\]");
  LstmOptions two_layers = o;
  two_layers.num_layers = 2;
  EXPECT_DEATH(
      LstmBackward(two_layers, RandomWeights(two_layers, 1, 0.5f), cache, out, nullptr, nullptr),
      "cache was not filled by LstmForward with these options");
}

}  // namespace
}  // namespace nn
