// OpCheck's failures name the op, the argument and what was wrong.
#include "nn/ops/internal/op_check.h"

#include "gtest/gtest.h"

namespace nn::ops_internal {
namespace {

TEST(OpCheckTest, AcceptsMatchingArgumentsAndTakesTheirDevice) {
  const Tensor x = Tensor::Zeros({2, 3});
  Tensor y = Tensor::Zeros({2, 3});
  OpCheck check("Op");
  check.Arg("x", x)
      .Arg("x again", x, {2, 3})
      .Optional("none", nullptr, {7})
      .Output("y", &y, {2, 3});
  EXPECT_EQ(check.device(), Device::CPU());
  EXPECT_STREQ(check.op(), "Op");
  EXPECT_EQ(Data(x), x.raw_data());
  EXPECT_EQ(DataOrNull(nullptr), nullptr);
  EXPECT_EQ(MutableDataOrNull(&y), y.raw_data());
}

TEST(OpCheckDeathTest, NamesTheOpTheArgumentAndTheProblem) {
  const Tensor x = Tensor::Zeros({2, 3});
  EXPECT_DEATH(OpCheck("Op").Arg("weight", Tensor()), "Op: weight is undefined");
  EXPECT_DEATH(OpCheck("Op").Arg("weight", Tensor::Zeros({2}, DType::kFloat16)),
               "Op: weight must be float32, got Tensor\\(float16, cpu, \\[2\\]\\)");
  EXPECT_DEATH(OpCheck("Op").Arg("bias", x, {3}), "Op: bias \\[2, 3\\], expected \\[3\\]");
  EXPECT_DEATH(OpCheck("Op").Optional("bias", &x, {3}), "Op: bias \\[2, 3\\], expected \\[3\\]");
  EXPECT_DEATH(OpCheck("Op").Output("output", nullptr, {3}), "Op: output is null");
}

}  // namespace
}  // namespace nn::ops_internal
