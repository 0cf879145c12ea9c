// Tests for RETURN_IF_ERROR and ASSIGN_OR_RETURN: errors pass through unchanged (code and
// message), values are moved into the left-hand side, the expression runs exactly once.
#include "base/status_macros.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace base {
namespace {

absl::Status Fails() { return absl::NotFoundError("clip.mp4: no such file"); }
absl::StatusOr<int> Value(int v) { return v; }
absl::StatusOr<int> NoValue() { return absl::DataLossError("clip.mp4: truncated"); }

absl::Status ReturnIfError(const absl::Status& status, bool* reached_end) {
  RETURN_IF_ERROR(status);
  *reached_end = true;
  return absl::OkStatus();
}

TEST(ReturnIfErrorTest, ReturnsTheErrorUnchanged) {
  bool reached_end = false;
  const absl::Status status = ReturnIfError(Fails(), &reached_end);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "clip.mp4: no such file");
  EXPECT_FALSE(reached_end);
}

TEST(ReturnIfErrorTest, ContinuesOnOk) {
  bool reached_end = false;
  EXPECT_TRUE(ReturnIfError(absl::OkStatus(), &reached_end).ok());
  EXPECT_TRUE(reached_end);
}

absl::StatusOr<std::string> ReturnIfErrorOfStatusOr(absl::StatusOr<int> value) {
  RETURN_IF_ERROR(value);
  return std::to_string(*value);
}

TEST(ReturnIfErrorTest, TakesAStatusOrIntoAnotherStatusOrType) {
  EXPECT_EQ(ReturnIfErrorOfStatusOr(Value(7)).value(), "7");
  const absl::StatusOr<std::string> error = ReturnIfErrorOfStatusOr(NoValue());
  EXPECT_EQ(error.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(error.status().message(), "clip.mp4: truncated");
}

TEST(ReturnIfErrorTest, EvaluatesTheExpressionOnce) {
  int calls = 0;
  auto counted = [&calls]() -> absl::Status {
    ++calls;
    return absl::OkStatus();
  };
  auto run = [&]() -> absl::Status {
    RETURN_IF_ERROR(counted());
    return absl::OkStatus();
  };
  EXPECT_TRUE(run().ok());
  EXPECT_EQ(calls, 1);
}

absl::StatusOr<int> SumOfTwo(absl::StatusOr<int> a, absl::StatusOr<int> b) {
  ASSIGN_OR_RETURN(const int x, std::move(a));
  int y = 0;
  ASSIGN_OR_RETURN(y, std::move(b));
  return x + y;
}

TEST(AssignOrReturnTest, DeclaresAndAssigns) { EXPECT_EQ(SumOfTwo(Value(2), Value(3)).value(), 5); }

TEST(AssignOrReturnTest, ReturnsTheFirstErrorUnchanged) {
  const absl::StatusOr<int> first = SumOfTwo(NoValue(), Value(3));
  EXPECT_EQ(first.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(first.status().message(), "clip.mp4: truncated");
  const absl::StatusOr<int> second = SumOfTwo(Value(2), absl::InvalidArgumentError("b"));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(second.status().message(), "b");
}

absl::Status MoveOnly(absl::StatusOr<std::unique_ptr<int>> made, int* out) {
  ASSIGN_OR_RETURN(std::unique_ptr<int> p, std::move(made));
  *out = *p;
  return absl::OkStatus();
}

TEST(AssignOrReturnTest, MovesMoveOnlyValuesAndReturnsIntoStatus) {
  int out = 0;
  EXPECT_TRUE(MoveOnly(std::make_unique<int>(9), &out).ok());
  EXPECT_EQ(out, 9);
  const absl::Status error = MoveOnly(absl::UnavailableError("busy"), &out);
  EXPECT_EQ(error.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(error.message(), "busy");
}

}  // namespace
}  // namespace base
