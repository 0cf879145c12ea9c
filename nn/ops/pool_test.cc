// Tests of max pooling and global average pooling: reference values, tie and padding
// rules, finite-difference gradients, accumulation and contract violations.
#include "nn/ops/pool.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "nn/testing/gradient_check.h"
#include "nn/testing/op_case.h"
#include "nn/testing/op_params.h"

namespace nn {
namespace {

using testing::CheckGradients;
using testing::DistinctValues;
using testing::MaxPool2dCase;
using testing::MaxPool2dCases;
using testing::MaxPool2dParamsOf;
using testing::RandomNormal;

// Reference max over the window (padding excluded), by definition.
std::vector<float> ReferenceMaxPool(const Tensor& x, MaxPool2dParams p, const Shape& os) {
  if (p.stride_h == 0) p.stride_h = p.kernel_h;  // the default stride is the kernel
  if (p.stride_w == 0) p.stride_w = p.kernel_w;
  std::vector<float> y(os.numel());
  const int64_t h = x.dim(2), w = x.dim(3);
  for (int64_t plane = 0; plane < x.dim(0) * x.dim(1); ++plane) {
    for (int64_t oh = 0; oh < os[2]; ++oh) {
      for (int64_t ow = 0; ow < os[3]; ++ow) {
        float best = -std::numeric_limits<float>::infinity();
        for (int kh = 0; kh < p.kernel_h; ++kh) {
          for (int kw = 0; kw < p.kernel_w; ++kw) {
            const int64_t ih = oh * p.stride_h - p.pad_h + kh * p.dilation_h;
            const int64_t iw = ow * p.stride_w - p.pad_w + kw * p.dilation_w;
            if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
            best = std::max(best, x.data<float>()[(plane * h + ih) * w + iw]);
          }
        }
        y[(plane * os[2] + oh) * os[3] + ow] = best;
      }
    }
  }
  return y;
}

class MaxPoolTest : public ::testing::TestWithParam<MaxPool2dCase> {};

TEST_P(MaxPoolTest, ForwardMatchesReference) {
  const MaxPool2dCase& c = GetParam();
  const Tensor x = RandomNormal(c.input, 1);
  const Shape os = MaxPool2dOutputShape(c.input, c.params);
  Tensor y = Tensor::Empty(os);
  MaxPool2dIndices indices;
  MaxPool2dForward(x, c.params, &y, &indices);
  const std::vector<float> want = ReferenceMaxPool(x, c.params, os);
  const int64_t plane = c.input[2] * c.input[3];
  for (int64_t i = 0; i < y.numel(); ++i) {
    ASSERT_EQ(y.data<float>()[i], want[i]) << i;
    // The index points at the maximum in the same plane.
    const int64_t p = i / (os[2] * os[3]);
    ASSERT_EQ(x.data<float>()[p * plane + indices.argmax[i]], want[i]) << i;
  }
  Tensor y_no_indices = Tensor::Empty(os);
  MaxPool2dForward(x, c.params, &y_no_indices, nullptr);
  for (int64_t i = 0; i < y.numel(); ++i) ASSERT_EQ(y_no_indices.data<float>()[i], want[i]);
}

TEST_P(MaxPoolTest, FiniteDifferencesMatchBackward) {
  const MaxPool2dCase& c = GetParam();
  Tensor x = DistinctValues(c.input, 2, Device::CPU());
  const Shape os = MaxPool2dOutputShape(c.input, c.params);
  MaxPool2dIndices indices;
  auto forward = [&] {
    Tensor y = Tensor::Empty(os);
    MaxPool2dForward(x, c.params, &y, &indices);
    return y;
  };
  auto backward = [&](const Tensor& dy, const std::vector<Tensor*>& grads) {
    MaxPool2dBackward(dy, indices, grads[0]);
  };
  testing::GradientCheckOptions options;
  options.max_elements_per_input = 1000;
  EXPECT_TRUE(CheckGradients({&x}, forward, backward, options));
}

INSTANTIATE_TEST_SUITE_P(Shapes, MaxPoolTest, ::testing::ValuesIn(MaxPool2dCases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(MaxPoolTest, TiesPickTheFirstMaximumAndPaddingIsMinusInfinity) {
  // One 3x3 plane of equal negative values: 2x2 windows with stride 1, pad 1.
  const Tensor x = Tensor::Full({1, 1, 3, 3}, -5.0f);
  const MaxPool2dParams p = MaxPool2dParamsOf(2, 2, 1, 1, 1, 1);
  Tensor y = Tensor::Empty(MaxPool2dOutputShape(x.shape(), p));
  MaxPool2dIndices indices;
  MaxPool2dForward(x, p, &y, &indices);
  ASSERT_EQ(y.shape(), Shape({1, 1, 4, 4}));
  for (int64_t i = 0; i < y.numel(); ++i) EXPECT_EQ(y.data<float>()[i], -5.0f);  // not 0
  // Window (oh, ow) covers rows oh-1..oh and columns ow-1..ow: its first valid element.
  const std::vector<int32_t> want = {0, 0, 1, 2, 0, 0, 1, 2, 3, 3, 4, 5, 6, 6, 7, 8};
  EXPECT_EQ(indices.argmax, want);
}

TEST(MaxPoolTest, NanPropagates) {
  Tensor x = Tensor::FromVector({1, 1, 2, 2}, {1.0f, NAN, 3.0f, 2.0f});
  Tensor y = Tensor::Empty({1, 1, 1, 1});
  MaxPool2dIndices indices;
  MaxPool2dForward(x, MaxPool2dParamsOf(2, 2, 2, 2, 0, 0), &y, &indices);
  EXPECT_TRUE(std::isnan(y.data<float>()[0]));
  EXPECT_EQ(indices.argmax[0], 1);
}

TEST(MaxPoolTest, NanPropagatesWithoutIndicesToo) {
  // The inference path (no argmax) takes its maximum in another order: rows, then columns.
  Tensor x = Tensor::FromVector({1, 1, 3, 3}, {1, 2, 3, 4, NAN, 6, 7, 8, 9});
  Tensor y = Tensor::Empty({1, 1, 2, 2});
  MaxPool2dForward(x, MaxPool2dParamsOf(2, 2, 1, 1, 0, 0), &y, nullptr);
  for (int64_t i = 0; i < 4; ++i) EXPECT_TRUE(std::isnan(y.data<float>()[i])) << i;
}

TEST(MaxPoolTest, NanPropagatesThroughWideRows) {
  // Rows wide enough for the 8-window vector path of the inference pool (3x3, stride 2).
  std::vector<float> values(3 * 40);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 7);
  values[40 + 21] = NAN;  // row 1, column 21: the windows of output columns 10 and 11
  const Tensor x = Tensor::FromVector({1, 1, 3, 40}, values);
  const MaxPool2dParams params = MaxPool2dParamsOf(3, 3, 2, 2, 1, 1);
  Tensor y = Tensor::Empty(MaxPool2dOutputShape(x.shape(), params));
  MaxPool2dForward(x, params, &y, nullptr);
  for (int64_t oh = 0; oh < y.dim(2); ++oh) {
    for (int64_t ow = 0; ow < y.dim(3); ++ow) {
      const bool has_nan = (ow == 10 || ow == 11);  // rows 0-2 hold row 1 for both oh
      EXPECT_EQ(std::isnan(y.data<float>()[oh * y.dim(3) + ow]), has_nan) << oh << " " << ow;
    }
  }
}

TEST(MaxPoolTest, DilatedWindowInThePaddingIsMinusInfinity) {
  // Kernel 2 with dilation 3 and pad 1 on 2 rows: the window's rows are -1 and 2, neither
  // inside the plane.
  const Tensor x = Tensor::Full({1, 1, 2, 4}, 1.0f);
  const MaxPool2dParams p = MaxPool2dParamsOf(2, 1, 1, 1, 1, 0, 3, 1);
  const Shape os = MaxPool2dOutputShape(x.shape(), p);
  ASSERT_EQ(os, Shape({1, 1, 1, 4}));
  for (bool with_indices : {false, true}) {
    Tensor y = Tensor::Empty(os);
    MaxPool2dIndices indices;
    MaxPool2dForward(x, p, &y, with_indices ? &indices : nullptr);
    for (int64_t i = 0; i < y.numel(); ++i) {
      EXPECT_EQ(y.data<float>()[i], -std::numeric_limits<float>::infinity()) << i;
    }
    if (!with_indices) continue;
    // Its gradient goes nowhere (and is not written outside the plane).
    Tensor dx = Tensor::Full(x.shape(), 0.5f);
    MaxPool2dBackward(Tensor::Full(os, 1.0f), indices, &dx);
    for (int64_t i = 0; i < dx.numel(); ++i) EXPECT_EQ(dx.data<float>()[i], 0.5f) << i;
  }
}

TEST(MaxPoolTest, BackwardAccumulatesOverlappingWindows) {
  // 1x3 row, kernel 1x2 stride 1: both windows pick the 9.
  const Tensor x = Tensor::FromVector({1, 1, 1, 3}, {1.0f, 9.0f, 2.0f});
  const MaxPool2dParams p = MaxPool2dParamsOf(1, 2, 1, 1, 0, 0);
  Tensor y = Tensor::Empty({1, 1, 1, 2});
  MaxPool2dIndices indices;
  MaxPool2dForward(x, p, &y, &indices);
  Tensor dx = Tensor::Full({1, 1, 1, 3}, 0.5f);
  MaxPool2dBackward(Tensor::FromVector({1, 1, 1, 2}, {2.0f, 3.0f}), indices, &dx);
  EXPECT_EQ(dx.data<float>()[0], 0.5f);
  EXPECT_EQ(dx.data<float>()[1], 5.5f);
  EXPECT_EQ(dx.data<float>()[2], 0.5f);
}

TEST(GlobalAvgPoolTest, ForwardIsThePlaneMean) {
  const Tensor x = RandomNormal({2, 3, 5, 7}, 3);
  Tensor y = Tensor::Empty({2, 3, 1, 1});
  GlobalAvgPool2dForward(x, &y);
  for (int64_t plane = 0; plane < 6; ++plane) {
    double sum = 0;
    for (int64_t i = 0; i < 35; ++i) sum += x.data<float>()[plane * 35 + i];
    EXPECT_NEAR(y.data<float>()[plane], sum / 35, 1e-6);
  }
}

TEST(GlobalAvgPoolTest, FiniteDifferencesMatchBackward) {
  Tensor x = RandomNormal({2, 3, 4, 5}, 4);
  auto forward = [&] {
    Tensor y = Tensor::Empty({2, 3, 1, 1});
    GlobalAvgPool2dForward(x, &y);
    return y;
  };
  auto backward = [&](const Tensor& dy, const std::vector<Tensor*>& grads) {
    GlobalAvgPool2dBackward(dy, grads[0]);
  };
  EXPECT_TRUE(CheckGradients({&x}, forward, backward));
}

TEST(GlobalAvgPoolTest, BackwardAccumulates) {
  Tensor dx = Tensor::Full({1, 2, 2, 2}, 1.0f);
  GlobalAvgPool2dBackward(Tensor::FromVector({1, 2, 1, 1}, {4.0f, -8.0f}), &dx);
  EXPECT_EQ(dx.data<float>()[0], 2.0f);
  EXPECT_EQ(dx.data<float>()[7], -1.0f);
}

TEST(PoolDeathTest, MaxPoolShapeViolations) {
  EXPECT_DEATH(MaxPool2dOutputShape({3, 8, 8}, MaxPool2dParamsOf(3, 3, 2, 2, 1, 1)),
               "input \\[3, 8, 8\\] must be \\[N, C, H, W\\]");
  EXPECT_DEATH(MaxPool2dOutputShape({1, 1, 8, 8}, MaxPool2dParamsOf(3, 3, 2, 2, 2, 2)),
               "padding must be at most half the kernel");
  EXPECT_DEATH(MaxPool2dOutputShape({1, 1, 2, 2}, MaxPool2dParamsOf(3, 3, 1, 1, 0, 0)),
               "input \\[1, 1, 2, 2\\] too small");
  const Tensor x = Tensor::Zeros({1, 1, 8, 8});
  Tensor y = Tensor::Zeros({1, 1, 4, 5});
  EXPECT_DEATH(MaxPool2dForward(x, MaxPool2dParamsOf(3, 3, 2, 2, 1, 1), &y, nullptr),
               "output Tensor\\(float32, cpu, \\[1, 1, 4, 5\\]\\) must be \\[1, 1, 4, 4\\]");
}

TEST(PoolDeathTest, MaxPoolBackwardNeedsTheForwardShapes) {
  const Tensor x = Tensor::Zeros({1, 1, 8, 8});
  Tensor y = Tensor::Zeros({1, 1, 4, 4});
  MaxPool2dIndices indices;
  MaxPool2dForward(x, MaxPool2dParamsOf(3, 3, 2, 2, 1, 1), &y, &indices);
  Tensor bad_dx = Tensor::Zeros({1, 1, 8, 7});
  EXPECT_DEATH(MaxPool2dBackward(y, indices, &bad_dx),
               "input_grad Tensor\\(float32, cpu, \\[1, 1, 8, 7\\]\\) must match");
}

TEST(PoolDeathTest, GlobalAvgPoolShapeViolations) {
  const Tensor x = Tensor::Zeros({2, 3, 4, 4});
  Tensor y = Tensor::Zeros({2, 3, 1});
  EXPECT_DEATH(GlobalAvgPool2dForward(x, &y), "output Tensor\\(float32, cpu, \\[2, 3, 1\\]\\)");
  Tensor dx = Tensor::Zeros({2, 3, 4, 4});
  EXPECT_DEATH(GlobalAvgPool2dBackward(Tensor::Zeros({2, 4, 1, 1}), &dx),
               "output_grad Tensor\\(float32, cpu, \\[2, 4, 1, 1\\]\\) must be");
}

}  // namespace
}  // namespace nn
