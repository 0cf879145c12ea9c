// Tests of Conv2dForward/Conv2dBackward: finite-difference gradients, a double-precision
// reference on shapes that exercise every tiling path, the fused epilogue, accumulation,
// thread-count independence and contract violations.
#include "nn/ops/conv.h"

#include <cmath>
#include <vector>

#include "base/thread_pool.h"
#include "gtest/gtest.h"
#include "nn/testing/gradient_check.h"
#include "nn/testing/op_params.h"

namespace nn {
namespace {

using testing::CheckGradients;
using testing::Conv2dParamsOf;
using testing::RandomNormal;
using testing::RelativeToLargest;
using testing::TensorsNear;

struct Case {
  const char* name;
  Shape input, weight;
  Conv2dParams params;
};

// Small cases for the finite-difference checks.
std::vector<Case> GradientCases() {
  return {
      {"plain_3x3", {2, 3, 6, 6}, {4, 3, 3, 3}, Conv2dParamsOf(1, 1, 0, 0, 1, 1, 1)},
      {"stride2_pad1", {2, 3, 7, 8}, {5, 3, 3, 3}, Conv2dParamsOf(2, 2, 1, 1, 1, 1, 1)},
      {"asymmetric_stride_pad", {1, 2, 7, 6}, {3, 2, 3, 2}, Conv2dParamsOf(2, 1, 0, 1, 1, 1, 1)},
      {"dilation2", {1, 2, 9, 9}, {3, 2, 3, 3}, Conv2dParamsOf(1, 1, 2, 2, 2, 2, 1)},
      {"groups4_odd_channels", {2, 12, 5, 7}, {20, 3, 3, 3}, Conv2dParamsOf(1, 1, 1, 1, 1, 1, 4)},
      {"groups2_direct_wide", {1, 4, 4, 33}, {6, 2, 3, 3}, Conv2dParamsOf(1, 1, 1, 1, 1, 1, 2)},
      {"pointwise_1x1", {2, 7, 4, 5}, {5, 7, 1, 1}, Conv2dParamsOf(1, 1, 0, 0, 1, 1, 1)},
      {"pointwise_1x1_stride2", {2, 6, 5, 5}, {4, 6, 1, 1}, Conv2dParamsOf(2, 2, 0, 0, 1, 1, 1)},
      {"stem_7x7_stride2_pad3", {1, 3, 12, 12}, {4, 3, 7, 7}, Conv2dParamsOf(2, 2, 3, 3, 1, 1, 1)},
  };
}

// Larger cases for the reference comparison: columns spanning images, several row and
// channel tiles, split weight-gradient sums, ResNeXt-like 32 groups, 1x1 with stride; both
// paths (im2col + GEMM; the direct "flat" kernel for grouped convolutions with <= 64 channels
// per group, and forward with <= 4 input channels).
std::vector<Case> TilingCases() {
  return {
      {"spanning_row_tiles", {3, 8, 15, 15}, {300, 8, 3, 3}, Conv2dParamsOf(1, 1, 1, 1, 1, 1, 1)},
      {"grouped_1x1_spanning",
       {3, 64, 14, 14},
       {64, 32, 1, 1},
       Conv2dParamsOf(1, 1, 0, 0, 1, 1, 2)},
      {"resnext_groups32_stride2",
       {2, 128, 13, 13},
       {128, 4, 3, 3},
       Conv2dParamsOf(2, 2, 1, 1, 1, 1, 32)},
      {"wide_1x1_channel_tiles",
       {2, 600, 5, 6},
       {40, 600, 1, 1},
       Conv2dParamsOf(1, 1, 0, 0, 1, 1, 1)},
      {"1x1_stride2_disjoint", {4, 20, 9, 9}, {24, 20, 1, 1}, Conv2dParamsOf(2, 2, 0, 0, 1, 1, 1)},
      {"stem_7x7", {2, 3, 40, 36}, {16, 3, 7, 7}, Conv2dParamsOf(2, 2, 3, 3, 1, 1, 1)},
      {"im2col_stride2_dilation",
       {2, 5, 13, 12},
       {64, 5, 3, 3},
       Conv2dParamsOf(2, 2, 2, 1, 2, 1, 1)},
      {"direct_grouped_wide", {1, 8, 6, 40}, {8, 2, 3, 3}, Conv2dParamsOf(1, 1, 1, 1, 2, 1, 4)},
      {"direct_strided_wide", {1, 6, 5, 70}, {9, 2, 3, 3}, Conv2dParamsOf(1, 2, 1, 1, 1, 2, 3)},
      {"dilated_grouped", {2, 6, 11, 10}, {9, 2, 3, 3}, Conv2dParamsOf(1, 2, 2, 1, 2, 3, 3)},
      // Flat phase-plane direct path (groups > 1, <= 64 channels per group): stride-2
      // vectorized packing with a tail and odd/even padding, output-channel chunks with a
      // remainder, 8/16/24-wide blocks, 32 input channels per group, mixed strides/dilation.
      {"flat_stride2_odd_pad_chunks",
       {2, 6, 9, 37},
       {38, 3, 3, 3},
       Conv2dParamsOf(2, 2, 1, 1, 1, 1, 2)},
      {"flat_stride2_pad0", {1, 8, 8, 34}, {8, 4, 3, 3}, Conv2dParamsOf(2, 2, 0, 0, 1, 1, 2)},
      {"flat_block8_tiny", {3, 4, 4, 4}, {6, 2, 3, 3}, Conv2dParamsOf(1, 1, 0, 0, 1, 1, 2)},
      {"flat_block16_7x7", {2, 64, 7, 7}, {64, 32, 3, 3}, Conv2dParamsOf(1, 1, 1, 1, 1, 1, 2)},
      {"flat_5x5_stride3x2_dilated",
       {2, 6, 17, 23},
       {10, 3, 5, 5},
       Conv2dParamsOf(3, 2, 2, 3, 2, 1, 2)},
  };
}

// Double-precision reference of forward and backward, straight from the definition.
struct Reference {
  std::vector<double> y, dx, dw, db;
};

Reference ReferenceConv(const Tensor& x, const Tensor& w, const Tensor* b, const Tensor& dy,
                        const Conv2dParams& p) {
  const Shape os = Conv2dOutputShape(x.shape(), w.shape(), p);
  const int64_t n_ = x.dim(0), cin = x.dim(1), h = x.dim(2), wd = x.dim(3);
  const int64_t cout = w.dim(0), cin_g = w.dim(1), kh_ = w.dim(2), kw_ = w.dim(3);
  const int64_t oh_ = os[2], ow_ = os[3], cout_g = cout / p.groups;
  Reference r;
  r.y.assign(os.numel(), 0);
  r.dx.assign(x.numel(), 0);
  r.dw.assign(w.numel(), 0);
  r.db.assign(cout, 0);
  const float* xp = x.data<float>();
  const float* wp = w.data<float>();
  const float* dyp = dy.data<float>();
  for (int64_t n = 0; n < n_; ++n) {
    for (int64_t co = 0; co < cout; ++co) {
      const int64_t group = co / cout_g;
      for (int64_t oh = 0; oh < oh_; ++oh) {
        for (int64_t ow = 0; ow < ow_; ++ow) {
          const int64_t o = ((n * cout + co) * oh_ + oh) * ow_ + ow;
          double sum = b != nullptr ? b->data<float>()[co] : 0.0;
          r.db[co] += dyp[o];
          for (int64_t ci = 0; ci < cin_g; ++ci) {
            for (int64_t kh = 0; kh < kh_; ++kh) {
              for (int64_t kw = 0; kw < kw_; ++kw) {
                const int64_t ih = oh * p.stride_h - p.pad_h + kh * p.dilation_h;
                const int64_t iw = ow * p.stride_w - p.pad_w + kw * p.dilation_w;
                if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                const int64_t xi = ((n * cin + group * cin_g + ci) * h + ih) * wd + iw;
                const int64_t wi = ((co * cin_g + ci) * kh_ + kh) * kw_ + kw;
                sum += static_cast<double>(wp[wi]) * xp[xi];
                r.dx[xi] += static_cast<double>(wp[wi]) * dyp[o];
                r.dw[wi] += static_cast<double>(xp[xi]) * dyp[o];
              }
            }
          }
          r.y[o] = sum;
        }
      }
    }
  }
  return r;
}

class ConvGradientTest : public ::testing::TestWithParam<Case> {};

TEST_P(ConvGradientTest, FiniteDifferencesMatchBackward) {
  const Case& c = GetParam();
  Tensor x = RandomNormal(c.input, 1);
  Tensor w = RandomNormal(c.weight, 2, 0.5f);
  Tensor b = RandomNormal({c.weight[0]}, 3);
  const Shape out_shape = Conv2dOutputShape(c.input, c.weight, c.params);
  auto forward = [&] {
    Tensor y = Tensor::Empty(out_shape);
    Conv2dForward(x, w, &b, c.params, &y);
    return y;
  };
  auto backward = [&](const Tensor& dy, const std::vector<Tensor*>& grads) {
    Conv2dBackward(x, w, dy, c.params, grads[0], grads[1], grads[2]);
  };
  EXPECT_TRUE(CheckGradients({&x, &w, &b}, forward, backward));
}

INSTANTIATE_TEST_SUITE_P(Shapes, ConvGradientTest, ::testing::ValuesIn(GradientCases()),
                         [](const auto& info) { return std::string(info.param.name); });

class ConvReferenceTest : public ::testing::TestWithParam<Case> {};

TEST_P(ConvReferenceTest, ForwardAndBackwardMatchDoublePrecisionReference) {
  const Case& c = GetParam();
  const Tensor x = RandomNormal(c.input, 4);
  const Tensor w = RandomNormal(c.weight, 5, 0.3f);
  const Tensor b = RandomNormal({c.weight[0]}, 6);
  const Shape out_shape = Conv2dOutputShape(c.input, c.weight, c.params);
  const Tensor dy = RandomNormal(out_shape, 7);
  const Reference ref = ReferenceConv(x, w, &b, dy, c.params);

  Tensor y = Tensor::Full(out_shape, NAN);  // forward must overwrite every element
  Conv2dForward(x, w, &b, c.params, &y);
  EXPECT_TRUE(TensorsNear(y, ref.y, RelativeToLargest(1e-5))) << "y";

  Tensor dx = Tensor::Zeros(c.input), dw = Tensor::Zeros(c.weight),
         db = Tensor::Zeros({c.weight[0]});
  Conv2dBackward(x, w, dy, c.params, &dx, &dw, &db);
  EXPECT_TRUE(TensorsNear(dx, ref.dx, RelativeToLargest(1e-5))) << "dx";
  EXPECT_TRUE(TensorsNear(dw, ref.dw, RelativeToLargest(1e-5))) << "dw";
  EXPECT_TRUE(TensorsNear(db, ref.db, RelativeToLargest(1e-5))) << "db";
}

TEST_P(ConvReferenceTest, SameBitsForAnyThreadCount) {
  const Case& c = GetParam();
  const Tensor x = RandomNormal(c.input, 8);
  const Tensor w = RandomNormal(c.weight, 9);
  const Shape out_shape = Conv2dOutputShape(c.input, c.weight, c.params);
  const Tensor dy = RandomNormal(out_shape, 10);
  std::vector<std::vector<float>> results;
  for (int threads : {1, 2, 3}) {
    base::SetNumThreads(threads);
    Tensor y = Tensor::Empty(out_shape);
    Conv2dForward(x, w, nullptr, c.params, &y);
    Tensor dx = Tensor::Zeros(c.input), dw = Tensor::Zeros(c.weight),
           db = Tensor::Zeros({c.weight[0]});
    Conv2dBackward(x, w, dy, c.params, &dx, &dw, &db);
    std::vector<float> all;
    for (const Tensor* t : {&y, &dx, &dw, &db}) {
      all.insert(all.end(), t->data<float>(), t->data<float>() + t->numel());
    }
    results.push_back(all);
  }
  base::SetNumThreads(2);
  EXPECT_TRUE(results[0] == results[1]);
  EXPECT_TRUE(results[0] == results[2]);
}

INSTANTIATE_TEST_SUITE_P(Shapes, ConvReferenceTest, ::testing::ValuesIn(TilingCases()),
                         [](const auto& info) { return std::string(info.param.name); });

// The forward of one image does not depend on the batch around it: small images are
// multiplied in blocks whose leftover pixels share panels (gemm_nn_args.h), large ones in
// pieces; either way each output is the same chain of sums, bit for bit.
TEST(ConvTest, EachImageOfABatchEqualsItsForwardAlone) {
  const Case cases[] = {
      {"1x1_7x7_two_row_tiles",
       {16, 40, 7, 7},
       {300, 40, 1, 1},
       Conv2dParamsOf(1, 1, 0, 0, 1, 1, 1)},
      {"1x1_14x14", {6, 24, 14, 14}, {20, 24, 1, 1}, Conv2dParamsOf(1, 1, 0, 0, 1, 1, 1)},
      {"1x1_4x4", {9, 16, 4, 4}, {12, 16, 1, 1}, Conv2dParamsOf(1, 1, 0, 0, 1, 1, 1)},
      {"1x1_stride2_im2col", {5, 24, 13, 13}, {40, 24, 1, 1}, Conv2dParamsOf(2, 2, 0, 0, 1, 1, 1)},
      {"3x3_im2col", {4, 8, 9, 9}, {20, 8, 3, 3}, Conv2dParamsOf(1, 1, 1, 1, 1, 1, 1)},
      {"1x1_28x28_pieces", {3, 8, 28, 28}, {8, 8, 1, 1}, Conv2dParamsOf(1, 1, 0, 0, 1, 1, 1)},
  };
  for (const Case& c : cases) {
    const Tensor x = RandomNormal(c.input, 21);
    const Tensor w = RandomNormal(c.weight, 22, 0.3f);
    const Tensor b = RandomNormal({c.weight[0]}, 23);
    const Tensor scale = RandomNormal({c.weight[0]}, 24);
    const Shape out_shape = Conv2dOutputShape(c.input, c.weight, c.params);
    const Tensor residual = RandomNormal(out_shape, 25);
    Tensor batch = Tensor::Full(out_shape, NAN);
    Conv2dForward(x, w, &b, c.params, &batch, {&scale, &residual, true});
    const int64_t per_image = out_shape.numel() / out_shape[0];
    for (int64_t n = 0; n < c.input[0]; ++n) {
      const Tensor xn = x.Slice(n, n + 1), rn = residual.Slice(n, n + 1);
      Tensor alone = Tensor::Empty(Conv2dOutputShape(xn.shape(), c.weight, c.params));
      Conv2dForward(xn, w, &b, c.params, &alone, {&scale, &rn, true});
      for (int64_t i = 0; i < per_image; ++i) {
        ASSERT_EQ(batch.data<float>()[n * per_image + i], alone.data<float>()[i])
            << c.name << " image " << n << " element " << i;
      }
    }
  }
}

TEST(ConvTest, OutputShapeFollowsPyTorch) {
  EXPECT_EQ(
      Conv2dOutputShape({16, 3, 224, 224}, {64, 3, 7, 7}, Conv2dParamsOf(2, 2, 3, 3, 1, 1, 1)),
      Shape({16, 64, 112, 112}));
  EXPECT_EQ(
      Conv2dOutputShape({1, 128, 56, 56}, {128, 4, 3, 3}, Conv2dParamsOf(2, 2, 1, 1, 1, 1, 32)),
      Shape({1, 128, 28, 28}));
  EXPECT_EQ(Conv2dOutputShape({1, 2, 9, 10}, {3, 2, 3, 3}, Conv2dParamsOf(1, 3, 0, 1, 2, 2, 1)),
            Shape({1, 3, 5, 3}));
}

TEST(ConvTest, EpilogueScalesAddsBiasResidualAndAppliesRelu) {
  for (const Case& c : {GradientCases()[4], TilingCases()[0], TilingCases()[1]}) {
    const Tensor x = RandomNormal(c.input, 11);
    const Tensor w = RandomNormal(c.weight, 12, 0.3f);
    const Tensor b = RandomNormal({c.weight[0]}, 13);
    const Shape out_shape = Conv2dOutputShape(c.input, c.weight, c.params);
    const Tensor residual = RandomNormal(out_shape, 14);
    Tensor plain = Tensor::Empty(out_shape);
    Conv2dForward(x, w, &b, c.params, &plain);
    Tensor fused = Tensor::Empty(out_shape);
    Conv2dForward(x, w, &b, c.params, &fused, {nullptr, &residual, true});
    Tensor residual_only = Tensor::Empty(out_shape);
    Conv2dForward(x, w, nullptr, c.params, &residual_only, {nullptr, &residual, false});
    Tensor no_bias = Tensor::Empty(out_shape);
    Conv2dForward(x, w, nullptr, c.params, &no_bias);
    // A folded batch norm: per-channel scale before the bias.
    const Tensor scale = RandomNormal({c.weight[0]}, 15);
    Tensor scaled = Tensor::Empty(out_shape);
    Conv2dForward(x, w, &b, c.params, &scaled, {&scale, &residual, true});
    const int64_t plane = out_shape[2] * out_shape[3];
    int64_t negatives = 0;
    for (int64_t i = 0; i < plain.numel(); ++i) {
      const float sum = plain.data<float>()[i] + residual.data<float>()[i];
      negatives += sum < 0;
      ASSERT_NEAR(fused.data<float>()[i], std::max(sum, 0.0f), 1e-5f) << c.name << " " << i;
      ASSERT_NEAR(residual_only.data<float>()[i],
                  no_bias.data<float>()[i] + residual.data<float>()[i], 1e-5f)
          << c.name << " " << i;
      const int64_t channel = i / plane % out_shape[1];
      const float expected = no_bias.data<float>()[i] * scale.data<float>()[channel] +
                             b.data<float>()[channel] + residual.data<float>()[i];
      ASSERT_NEAR(scaled.data<float>()[i], std::max(expected, 0.0f), 1e-4f) << c.name << " " << i;
    }
    EXPECT_GT(negatives, plain.numel() / 10) << "ReLU must have something to clamp";
  }
}

TEST(ConvTest, BackwardAccumulatesAndSkipsNullGradients) {
  const Case c = GradientCases()[1];
  const Tensor x = RandomNormal(c.input, 15);
  const Tensor w = RandomNormal(c.weight, 16);
  const Tensor dy = RandomNormal(Conv2dOutputShape(c.input, c.weight, c.params), 17);
  Tensor dx_once = Tensor::Zeros(c.input), dw_once = Tensor::Zeros(c.weight);
  Conv2dBackward(x, w, dy, c.params, &dx_once, &dw_once, nullptr);
  Tensor dx = Tensor::Full(c.input, 1.0f), dw = Tensor::Full(c.weight, -2.0f);
  Tensor db = Tensor::Full({c.weight[0]}, 3.0f);
  Conv2dBackward(x, w, dy, c.params, &dx, nullptr, nullptr);
  Conv2dBackward(x, w, dy, c.params, &dx, &dw, &db);
  Conv2dBackward(x, w, dy, c.params, nullptr, &dw, nullptr);
  for (int64_t i = 0; i < dx.numel(); ++i) {
    ASSERT_NEAR(dx.data<float>()[i], 1.0f + 2 * dx_once.data<float>()[i], 1e-4f);
  }
  for (int64_t i = 0; i < dw.numel(); ++i) {
    ASSERT_NEAR(dw.data<float>()[i], -2.0f + 2 * dw_once.data<float>()[i], 1e-4f);
  }
  double db_sum = 0;
  for (int64_t i = 0; i < dy.numel() / c.weight[0]; ++i) {
    const int64_t per_image = dy.dim(2) * dy.dim(3);
    db_sum += dy.data<float>()[(i / per_image) * dy.dim(1) * per_image + i % per_image];
  }
  EXPECT_NEAR(db.data<float>()[0], 3.0 + db_sum, 1e-4);
}

TEST(ConvDeathTest, GroupsMustDivideChannels) {
  EXPECT_DEATH(Conv2dOutputShape({1, 6, 5, 5}, {4, 3, 3, 3}, Conv2dParamsOf(1, 1, 0, 0, 1, 1, 4)),
               "input \\[1, 6, 5, 5\\] and weight \\[4, 3, 3, 3\\] do not fit groups 4");
}

TEST(ConvDeathTest, WeightChannelsMustMatchInput) {
  EXPECT_DEATH(Conv2dOutputShape({1, 6, 5, 5}, {4, 5, 3, 3}, {}),
               "input \\[1, 6, 5, 5\\] and weight \\[4, 5, 3, 3\\]");
}

TEST(ConvDeathTest, KernelLargerThanPaddedInput) {
  EXPECT_DEATH(Conv2dOutputShape({1, 1, 4, 4}, {1, 1, 7, 7}, Conv2dParamsOf(1, 1, 1, 1, 1, 1, 1)),
               "kernel \\[1, 1, 7, 7\\].*larger than padded input \\[1, 1, 4, 4\\]");
}

TEST(ConvDeathTest, InputMustBeRank4) {
  EXPECT_DEATH(Conv2dOutputShape({6, 5, 5}, {4, 6, 3, 3}, {}), "input \\[6, 5, 5\\] must be");
}

TEST(ConvDeathTest, WrongOutputShape) {
  const Tensor x = Tensor::Zeros({1, 2, 5, 5});
  const Tensor w = Tensor::Zeros({3, 2, 3, 3});
  Tensor y = Tensor::Zeros({1, 3, 5, 5});
  EXPECT_DEATH(Conv2dForward(x, w, nullptr, {}, &y),
               "Conv2dForward: output \\[1, 3, 5, 5\\], expected \\[1, 3, 3, 3\\]");
}

TEST(ConvDeathTest, WrongBiasAndResidualShapes) {
  const Tensor x = Tensor::Zeros({1, 2, 5, 5});
  const Tensor w = Tensor::Zeros({3, 2, 3, 3});
  const Tensor bad_bias = Tensor::Zeros({2});
  const Tensor bad_residual = Tensor::Zeros({1, 3, 3, 4});
  Tensor y = Tensor::Zeros({1, 3, 3, 3});
  EXPECT_DEATH(Conv2dForward(x, w, &bad_bias, {}, &y),
               "Conv2dForward: bias \\[2\\], expected \\[3\\]");
  EXPECT_DEATH(Conv2dForward(x, w, nullptr, {}, &y, {nullptr, &bad_residual, true}),
               "Conv2dForward: residual \\[1, 3, 3, 4\\], expected \\[1, 3, 3, 3\\]");
  EXPECT_DEATH(Conv2dForward(x, w, nullptr, {}, &y, {nullptr, &y, true}),
               "residual .* shares storage");
}

TEST(ConvDeathTest, WrongGradientShapes) {
  const Tensor x = Tensor::Zeros({1, 2, 5, 5});
  const Tensor w = Tensor::Zeros({3, 2, 3, 3});
  const Tensor dy = Tensor::Zeros({1, 3, 3, 3});
  Tensor bad_dx = Tensor::Zeros({1, 2, 5, 4});
  Tensor bad_dw = Tensor::Zeros({3, 2, 3, 1});
  EXPECT_DEATH(Conv2dBackward(x, w, dy, {}, &bad_dx, nullptr, nullptr),
               "Conv2dBackward: input_grad \\[1, 2, 5, 4\\], expected \\[1, 2, 5, 5\\]");
  EXPECT_DEATH(Conv2dBackward(x, w, dy, {}, nullptr, &bad_dw, nullptr),
               "Conv2dBackward: weight_grad \\[3, 2, 3, 1\\], expected \\[3, 2, 3, 3\\]");
  const Tensor bad_dy = Tensor::Zeros({1, 3, 4, 4});
  EXPECT_DEATH(Conv2dBackward(x, w, bad_dy, {}, nullptr, nullptr, nullptr),
               "Conv2dBackward: output_grad \\[1, 3, 4, 4\\], expected \\[1, 3, 3, 3\\]");
}

}  // namespace
}  // namespace nn
