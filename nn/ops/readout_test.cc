// Readout ops: values, accumulation, finite-difference gradients, contract violations.
#include "nn/ops/readout.h"

#include "gtest/gtest.h"
#include "nn/testing/gradient_check.h"

namespace nn {
namespace {

using testing::CheckGradients;
using testing::RandomNormal;

TEST(ReadoutTest, OutputShapeDropsTheAxis) {
  EXPECT_EQ(ReadoutOutputShape({2, 3, 4}, 1), (Shape{2, 4}));
  EXPECT_EQ(ReadoutOutputShape({2, 3, 4}, -1), (Shape{2, 3}));
  EXPECT_EQ(ReadoutOutputShape({2, 3, 4}, 0), (Shape{3, 4}));
  EXPECT_EQ(ReadoutOutputShape({5}, 0), Shape{});
}

TEST(ReadoutTest, MeanOverFramesDividesEachTermThenSumsInOrder) {
  const Tensor x = RandomNormal({3, 5, 2}, 1);
  Tensor y = Tensor::Full({3, 2}, 123.0f);  // overwritten, not accumulated
  MeanOverAxisForward(x, 1, &y);
  for (int64_t b = 0; b < 3; ++b) {
    for (int64_t k = 0; k < 2; ++k) {
      float expected = 0;
      for (int64_t t = 0; t < 5; ++t) expected += x.data<float>()[(b * 5 + t) * 2 + k] / 5.0f;
      EXPECT_EQ(y.data<float>()[b * 2 + k], expected) << b << ", " << k;
    }
  }
}

TEST(ReadoutTest, MeanOverFirstAndLastAxis) {
  const Tensor x = Tensor::FromVector({2, 3}, {1, 2, 3, 5, 6, 10});
  Tensor rows = Tensor::Empty({3}), columns = Tensor::Empty({2});
  MeanOverAxisForward(x, 0, &rows);
  MeanOverAxisForward(x, -1, &columns);
  EXPECT_FLOAT_EQ(rows.data<float>()[0], 3.0f);
  EXPECT_FLOAT_EQ(rows.data<float>()[2], 6.5f);
  EXPECT_FLOAT_EQ(columns.data<float>()[0], 2.0f);
  EXPECT_FLOAT_EQ(columns.data<float>()[1], 7.0f);
}

TEST(ReadoutTest, MeanBackwardAccumulatesTheGradientOverL) {
  const Tensor dy = Tensor::FromVector({2, 1}, {4, -8});
  Tensor dx = Tensor::Full({2, 4, 1}, 1.0f);
  MeanOverAxisBackward(dy, 1, &dx);
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(dx.data<float>()[t], 2.0f);
    EXPECT_EQ(dx.data<float>()[4 + t], -1.0f);
  }
}

TEST(ReadoutTest, SelectLastStepIsTheLastRowOfEverySequence) {
  const Tensor x = RandomNormal({3, 4, 5}, 2);
  Tensor last = Tensor::Empty({3, 5}), first = Tensor::Empty({3, 5});
  SelectIndexForward(x, 1, -1, &last);
  SelectIndexForward(x, 1, 0, &first);
  for (int64_t b = 0; b < 3; ++b) {
    for (int64_t i = 0; i < 5; ++i) {
      EXPECT_EQ(last.data<float>()[b * 5 + i], x.data<float>()[(b * 4 + 3) * 5 + i]);
      EXPECT_EQ(first.data<float>()[b * 5 + i], x.data<float>()[(b * 4 + 0) * 5 + i]);
    }
  }
}

TEST(ReadoutTest, SelectBackwardScattersIntoTheSelectedSliceOnly) {
  const Tensor dy = Tensor::FromVector({2, 2}, {1, 2, 3, 4});
  Tensor dx = Tensor::Full({2, 3, 2}, 10.0f);
  SelectIndexBackward(dy, 1, 2, &dx);
  SelectIndexBackward(dy, -2, -1, &dx);  // the same slice again: accumulates
  const std::vector<float> expected = {10, 10, 10, 10, 12, 14, 10, 10, 10, 10, 16, 18};
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(dx.data<float>()[i], expected[i]) << i;
}

TEST(ReadoutTest, MeanOverAxisGradients) {
  for (int axis : {0, 1, 2, -1}) {
    Tensor x = RandomNormal({2, 3, 4}, 3);
    EXPECT_TRUE(CheckGradients(
        {&x},
        [&] {
          Tensor y = Tensor::Empty(ReadoutOutputShape(x.shape(), axis));
          MeanOverAxisForward(x, axis, &y);
          return y;
        },
        [&](const Tensor& dy, const std::vector<Tensor*>& grads) {
          MeanOverAxisBackward(dy, axis, grads[0]);
        }))
        << "axis " << axis;
  }
}

TEST(ReadoutTest, SelectIndexGradients) {
  for (const auto& [axis_value, index_value] :
       std::vector<std::pair<int, int64_t>>{{1, -1}, {0, 1}, {2, 2}}) {
    // Lambdas capture copies: C++17 (and clang) cannot capture structured bindings.
    const int axis = axis_value;
    const int64_t index = index_value;
    Tensor x = RandomNormal({2, 3, 4}, 4);
    EXPECT_TRUE(CheckGradients(
        {&x},
        [&] {
          Tensor y = Tensor::Empty(ReadoutOutputShape(x.shape(), axis));
          SelectIndexForward(x, axis, index, &y);
          return y;
        },
        [&](const Tensor& dy, const std::vector<Tensor*>& grads) {
          SelectIndexBackward(dy, axis, index, grads[0]);
        }))
        << "axis " << axis << ", index " << index;
  }
}

TEST(ReadoutDeathTest, RejectsBadAxesIndicesAndShapes) {
  const Tensor x = Tensor::Zeros({2, 3, 4});
  Tensor y = Tensor::Zeros({2, 4});
  EXPECT_DEATH(MeanOverAxisForward(x, 3, &y),
               "MeanOverAxisForward: axis 3 out of range for \\[2, 3, 4\\]");
  EXPECT_DEATH(SelectIndexForward(x, 1, 3, &y),
               "SelectIndexForward: index 3 out of range for axis 1 of \\[2, 3, 4\\]");
  EXPECT_DEATH(SelectIndexForward(x, 1, -4, &y),
               "SelectIndexForward: index -4 out of range for axis 1 of \\[2, 3, 4\\]");
  Tensor wrong = Tensor::Zeros({2, 3});
  EXPECT_DEATH(MeanOverAxisForward(x, 1, &wrong),
               "MeanOverAxisForward: output \\[2, 3\\], expected \\[2, 4\\]");
  EXPECT_DEATH(MeanOverAxisForward(x, 1, nullptr), "MeanOverAxisForward: output is null");
  Tensor dx = Tensor::Zeros({2, 3, 4});
  EXPECT_DEATH(MeanOverAxisBackward(wrong, 1, &dx),
               "MeanOverAxisBackward: output gradient \\[2, 3\\], expected \\[2, 4\\]");
  EXPECT_DEATH(SelectIndexBackward(y, 1, 0, nullptr),
               "SelectIndexBackward: input gradient is null");
  const Tensor empty_axis = Tensor::Zeros({2, 0, 4});
  EXPECT_DEATH(MeanOverAxisForward(empty_axis, 1, &y),
               "MeanOverAxisForward: mean over an empty axis 1 of \\[2, 0, 4\\]");
}

}  // namespace
}  // namespace nn
