#include "nn/check.h"

#include "gtest/gtest.h"

namespace {

TEST(CheckTest, PassingChecksDoNotEvaluateTheMessage) {
  int evaluated = 0;
  auto message = [&] { return ++evaluated; };
  NN_CHECK(1 + 1 == 2) << message();
  NN_CHECK_EQ(3, 3) << message();
  NN_CHECK_LT(1, 2) << message();
  EXPECT_EQ(evaluated, 0);
}

TEST(CheckDeathTest, FailurePrintsFileLineConditionAndMessage) {
  const int rank = 3;
  EXPECT_DEATH(NN_CHECK(rank == 4) << "conv input must be NCHW",
               "check_test.cc:[0-9]+: check failed: rank == 4 conv input must be NCHW");
  EXPECT_DEATH(NN_CHECK_EQ(rank, 4) << "rank", "\\(3 vs 4\\) rank");
}

}  // namespace
