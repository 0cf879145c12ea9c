#include "nn/ops/elementwise.h"

#include "gtest/gtest.h"
#include "nn/testing/tensor_matchers.h"

namespace nn {
namespace {

using testing::RandomNormal;

TEST(AddTest, ForwardAddsElementwiseOnOddSizes) {
  for (int64_t n : {1, 7, 33, 1001}) {
    Tensor a = RandomNormal({n}, 1);
    Tensor b = RandomNormal({n}, 2);
    Tensor out = Tensor::Empty({n});
    AddForward(a, b, &out);
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_EQ(out.data<float>()[i], a.data<float>()[i] + b.data<float>()[i]);
    }
  }
}

TEST(AddTest, ForwardInPlace) {
  Tensor a = Tensor::FromVector({3}, {1, 2, 3});
  Tensor b = Tensor::FromVector({3}, {10, 20, 30});
  AddForward(a, b, &a);
  EXPECT_EQ(a.data<float>()[2], 33);
}

TEST(AddTest, BackwardAccumulatesIntoBothGradients) {
  Tensor dout = Tensor::FromVector({2, 2}, {1, 2, 3, 4});
  Tensor da = Tensor::Full({2, 2}, 10);
  Tensor db = Tensor::Zeros({2, 2});
  AddBackward(dout, &da, &db);
  AddBackward(dout, &da, nullptr);  // a second micro-batch, b's gradient not needed
  EXPECT_EQ(da.data<float>()[3], 10 + 4 + 4);
  EXPECT_EQ(db.data<float>()[3], 4);
}

TEST(AddDeathTest, ShapeMismatchPrintsBothTensors) {
  Tensor a = Tensor::Zeros({2, 3});
  Tensor b = Tensor::Zeros({3, 2});
  Tensor out = Tensor::Zeros({2, 3});
  EXPECT_DEATH(AddForward(a, b, &out), "AddForward: b \\[3, 2\\], expected \\[2, 3\\]");
}

}  // namespace
}  // namespace nn
