// Tests for TensorsNear (the tolerance rule and the message) and the random tensors.
#include "nn/testing/tensor_matchers.h"

#include <gmock/gmock.h>

#include <cmath>
#include <limits>
#include <vector>

namespace nn::testing {
namespace {

using ::testing::HasSubstr;

TEST(TensorsNearTest, AppliesAbsPlusRelTimesExpected) {
  const Tensor expected = Tensor::FromVector({2, 2}, {1, -2, 100, 0});
  const Tensor within = Tensor::FromVector({2, 2}, {1.01f, -2.02f, 101, 0.005f});
  EXPECT_TRUE(TensorsNear(within, expected, {0.01, 0.01}));
  EXPECT_FALSE(TensorsNear(within, expected, {0.01, 0}));
  EXPECT_FALSE(TensorsNear(within, expected, {0, 0.01}));  // the 0 element
  EXPECT_TRUE(TensorsNear(expected, expected, {}));
}

TEST(TensorsNearTest, MessageNamesTheWorstElements) {
  const Tensor expected = Tensor::FromVector({2, 3}, {1, 1, 1, 1, 1, 4});
  const Tensor actual = Tensor::FromVector({2, 3}, {1, 1, 1.5f, 1, 1, 5});
  const ::testing::AssertionResult result = TensorsNear(actual, expected, {0.1, 0});
  ASSERT_FALSE(result);
  const std::string message = result.message();
  EXPECT_THAT(message, HasSubstr("2 of 6 elements of [2, 3] differ by more than 0.1 + 0"));
  EXPECT_THAT(message, HasSubstr("max abs error 1 at [1, 2] (actual 5, expected 4)"));
  EXPECT_THAT(message, HasSubstr("max rel error 0.5 at [0, 2] (actual 1.5, expected 1)"));
  EXPECT_THAT(message, HasSubstr("max |expected| 4"));
}

TEST(TensorsNearTest, NanFailsAndIsReportedAsTheWorst) {
  const Tensor expected = Tensor::FromVector({3}, {1, 2, 3});
  const Tensor actual = Tensor::FromVector({3}, {1.5f, std::numeric_limits<float>::quiet_NaN(), 3});
  const ::testing::AssertionResult result = TensorsNear(actual, expected, {1, 0});
  ASSERT_FALSE(result);
  EXPECT_THAT(std::string(result.message()), HasSubstr("at [1] (actual nan, expected 2)"));
}

TEST(TensorsNearTest, DifferentShapesFail) {
  const ::testing::AssertionResult result =
      TensorsNear(Tensor::Zeros({2, 3}), Tensor::Zeros({3, 2}), {1, 0});
  ASSERT_FALSE(result);
  EXPECT_THAT(std::string(result.message()),
              HasSubstr("shapes differ: actual [2, 3], expected [3, 2]"));
}

TEST(TensorsNearTest, RelativeAtLeastOneIsAbsoluteBelowOne) {
  const Tensor expected = Tensor::FromVector({3}, {0.5f, -4, 0});
  // Allowed: 0.01 * max(1, |e|) = 0.01, 0.04, 0.01.
  EXPECT_TRUE(TensorsNear(Tensor::FromVector({3}, {0.509f, -4.039f, -0.009f}), expected,
                          RelativeAtLeastOne(0.01)));
  EXPECT_FALSE(
      TensorsNear(Tensor::FromVector({3}, {0.512f, -4, 0}), expected, RelativeAtLeastOne(0.01)));
  EXPECT_FALSE(
      TensorsNear(Tensor::FromVector({3}, {0.5f, -4.041f, 0}), expected, RelativeAtLeastOne(0.01)));
  const ::testing::AssertionResult result =
      TensorsNear(Tensor::FromVector({3}, {0.5f, -4, 0.02f}), expected, RelativeAtLeastOne(0.01));
  ASSERT_FALSE(result);
  EXPECT_THAT(
      std::string(result.message()),
      HasSubstr("1 of 3 elements of [3] differ by more than 0 + 0.01 * max(1, |expected|)"));
}

TEST(TensorsNearTest, RelativeToLargestUsesOneBoundForTheTensor) {
  const Tensor expected = Tensor::FromVector({3}, {0.001f, 10, 0});
  // Allowed everywhere: 0.01 * max(1, 10) = 0.1.
  EXPECT_TRUE(TensorsNear(Tensor::FromVector({3}, {0.09f, 10.09f, -0.09f}), expected,
                          RelativeToLargest(0.01)));
  EXPECT_FALSE(
      TensorsNear(Tensor::FromVector({3}, {0.102f, 10, 0}), expected, RelativeToLargest(0.01)));
  // Below 1 the bound is absolute.
  const Tensor small = Tensor::FromVector({2}, {0.1f, 0.2f});
  EXPECT_TRUE(TensorsNear(Tensor::FromVector({2}, {0.109f, 0.2f}), small, RelativeToLargest(0.01)));
  EXPECT_FALSE(
      TensorsNear(Tensor::FromVector({2}, {0.112f, 0.2f}), small, RelativeToLargest(0.01)));
  const ::testing::AssertionResult result =
      TensorsNear(Tensor::FromVector({2}, {0.2f, 0.2f}), small, RelativeToLargest(0.01));
  ASSERT_FALSE(result);
  EXPECT_THAT(std::string(result.message()), HasSubstr("0.01 * max(1, max |expected|)"));
}

TEST(TensorsNearTest, AgainstDoubleReferenceValues) {
  const Tensor actual = Tensor::FromVector({2, 2}, {1, 2, 3, 4});
  EXPECT_TRUE(TensorsNear(actual, std::vector<double>{1, 2, 3, 4.0000001}, {1e-6, 0}));
  const ::testing::AssertionResult result =
      TensorsNear(actual, std::vector<double>{1, 2, 3.5, 4}, {0.1, 0});
  ASSERT_FALSE(result);
  EXPECT_THAT(std::string(result.message()),
              HasSubstr("max abs error 0.5 at [1, 0] (actual 3, expected 3.5)"));
  const ::testing::AssertionResult sizes =
      TensorsNear(actual, std::vector<double>{1, 2, 3}, {1, 0});
  ASSERT_FALSE(sizes);
  EXPECT_THAT(std::string(sizes.message()), HasSubstr("sizes differ: actual [2, 2], 3 expected"));
  // The difference is computed in double: 1e-9 off a float value is seen.
  EXPECT_FALSE(TensorsNear(actual, std::vector<double>{1 + 1e-9, 2, 3, 4}, {}));
}

TEST(CompareTensorsTest, CountsBitIdenticalElements) {
  const TensorDifference d = CompareTensors(Tensor::FromVector({4}, {0, 1, 2, 3}),
                                            Tensor::FromVector({4}, {0, 1, 2.5f, -3}), {});
  EXPECT_EQ(d.equal, 2);
  EXPECT_EQ(CompareTensors(Tensor::FromVector({2}, {1, 2}), std::vector<double>{1, 2.1}, {}).equal,
            1);
}

TEST(CompareTensorsTest, ReportsCountsAndIndices) {
  const TensorDifference d = CompareTensors(Tensor::FromVector({4}, {0, 1, 2, 3}),
                                            Tensor::FromVector({4}, {0, 1, 2, 2}), {});
  EXPECT_EQ(d.numel, 4);
  EXPECT_EQ(d.failing, 1);
  EXPECT_EQ(d.max_abs_error, 1);
  EXPECT_EQ(d.max_abs_index, 3);
  EXPECT_EQ(d.max_rel_error, 0.5);
  EXPECT_EQ(d.max_abs_expected, 2);
}

TEST(IndexStringTest, RowMajor) {
  EXPECT_EQ(IndexString({2, 3, 4}, 0), "[0, 0, 0]");
  EXPECT_EQ(IndexString({2, 3, 4}, 23), "[1, 2, 3]");
  EXPECT_EQ(IndexString({5}, 4), "[4]");
}

TEST(RandomTensorTest, ReproducibleFromTheSeed) {
  const Tensor a = RandomNormal({64}, 7), b = RandomNormal({64}, 7), c = RandomNormal({64}, 8);
  EXPECT_TRUE(TensorsNear(a, b, {}));
  EXPECT_FALSE(TensorsNear(a, c, {1e-3, 0}));
  const Tensor u = RandomUniform({1000}, 3, -2, 5);
  double mean = 0;
  for (int64_t i = 0; i < u.numel(); ++i) {
    ASSERT_GE(u.data<float>()[i], -2);
    ASSERT_LT(u.data<float>()[i], 5);
    mean += u.data<float>()[i] / u.numel();
  }
  EXPECT_NEAR(mean, 1.5, 0.25);
}

}  // namespace
}  // namespace nn::testing
