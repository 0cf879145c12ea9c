// StepLR, CosineAnnealingLR and ReduceLROnPlateau by hand, and their state round trips.
#include "nn/optim/lr_scheduler.h"

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nn/optim/sgd.h"

namespace nn::optim {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Mode = ReduceLROnPlateauOptions::Mode;
using ThresholdMode = ReduceLROnPlateauOptions::ThresholdMode;

class ScheduleTest : public ::testing::Test {
 protected:
  Parameter p_{Tensor::Zeros({1}), Tensor::Zeros({1})};
  SGD sgd_{{{"p", &p_}}, {.lr = 1.0}};
};

TEST_F(ScheduleTest, StepLRMultipliesEveryStepSizeEpochs) {
  StepLR schedule(&sgd_, 2, 0.5);
  std::vector<double> lrs = {sgd_.lr()};
  for (int i = 0; i < 5; ++i) {
    schedule.Step();
    lrs.push_back(sgd_.lr());
  }
  EXPECT_THAT(lrs, ElementsAre(1, 1, 0.5, 0.5, 0.25, 0.25));
  EXPECT_EQ(schedule.last_epoch(), 5);
}

TEST_F(ScheduleTest, CosineAnnealingGoesDownAndBackUp) {
  CosineAnnealingLR schedule(&sgd_, 2, 0.0);
  std::vector<double> lrs = {sgd_.lr()};
  for (int i = 0; i < 4; ++i) {
    schedule.Step();
    lrs.push_back(sgd_.lr());
  }
  // e=1: (1+cos(pi/2))/(1+cos 0) * 1 = 0.5; e=2: 0; e=3 (restart branch): 0 + (1-cos(pi/2))/2;
  // e=4: (1+cos 2pi)/(1+cos 3pi/2) * 0.5 = 1.
  EXPECT_THAT(lrs, ElementsAre(1, DoubleNear(0.5, 1e-15), DoubleNear(0, 1e-15),
                               DoubleNear(0.5, 1e-15), DoubleNear(1.0, 1e-15)));
}

TEST_F(ScheduleTest, PlateauReducesAfterPatience) {
  ReduceLROnPlateau schedule(&sgd_, {.factor = 0.5, .patience = 1});
  schedule.Step(1.0);  // best = 1
  EXPECT_EQ(sgd_.lr(), 1.0);
  schedule.Step(1.0);  // 1 bad epoch
  EXPECT_EQ(schedule.num_bad_epochs(), 1);
  EXPECT_EQ(sgd_.lr(), 1.0);
  schedule.Step(0.99995);  // not better by the relative threshold 1e-4: 2 bad > patience
  EXPECT_EQ(sgd_.lr(), 0.5);
  EXPECT_EQ(schedule.num_bad_epochs(), 0);
  schedule.Step(0.5);  // better
  EXPECT_EQ(schedule.best(), 0.5);
}

TEST_F(ScheduleTest, PlateauCooldownIgnoresBadEpochs) {
  ReduceLROnPlateau schedule(&sgd_, {.factor = 0.5, .patience = 0, .cooldown = 2});
  schedule.Step(1.0);
  schedule.Step(1.0);  // bad > 0: reduce, cooldown 2
  EXPECT_EQ(sgd_.lr(), 0.5);
  EXPECT_EQ(schedule.cooldown_counter(), 2);
  schedule.Step(1.0);  // cooldown 1
  schedule.Step(1.0);  // cooldown 0
  EXPECT_EQ(sgd_.lr(), 0.5);
  schedule.Step(1.0);  // reduce again
  EXPECT_EQ(sgd_.lr(), 0.25);
}

TEST_F(ScheduleTest, PlateauMaxModeAbsThresholdAndMinLr) {
  ReduceLROnPlateau schedule(&sgd_, {.mode = Mode::kMax,
                                     .factor = 0.1,
                                     .patience = 0,
                                     .threshold = 0.1,
                                     .threshold_mode = ThresholdMode::kAbs,
                                     .min_lr = 0.05});
  schedule.Step(1.0);
  schedule.Step(1.05);  // not above 1 + 0.1: reduce to 0.1
  EXPECT_DOUBLE_EQ(sgd_.lr(), 0.1);
  schedule.Step(1.2);  // better
  EXPECT_EQ(schedule.best(), 1.2);
  schedule.Step(0.0);  // reduce, clamped to min_lr
  EXPECT_EQ(sgd_.lr(), 0.05);
  schedule.Step(0.0);  // 0.05 - 0.05 = 0 <= eps: unchanged
  EXPECT_EQ(sgd_.lr(), 0.05);
}

TEST_F(ScheduleTest, PlateauStateRoundTripResumesExactly) {
  const ReduceLROnPlateauOptions options = {.factor = 0.5, .patience = 2, .cooldown = 1};
  const std::vector<double> metrics = {3, 2, 2, 2, 2, 1.5, 1.6, 1.7, 1.8, 1.9, 2.0, 1.0};
  ReduceLROnPlateau schedule(&sgd_, options);
  for (int i = 0; i < 5; ++i) schedule.Step(metrics[i]);
  io::Metadata metadata;
  schedule.ExportState("sched.", &metadata);
  io::TensorMap tensors;
  io::Metadata optim_metadata;
  sgd_.ExportState("optim.", &tensors, &optim_metadata);

  Parameter q{Tensor::Zeros({1}), Tensor::Zeros({1})};
  SGD resumed_sgd({{"p", &q}}, {.lr = 1.0});
  ReduceLROnPlateau resumed(&resumed_sgd, options);
  ASSERT_TRUE(resumed_sgd.ImportState("optim.", tensors, optim_metadata).ok());
  ASSERT_TRUE(resumed.ImportState("sched.", metadata).ok());
  EXPECT_EQ(resumed.best(), schedule.best());
  EXPECT_EQ(resumed.last_epoch(), 5);
  for (size_t i = 5; i < metrics.size(); ++i) {
    schedule.Step(metrics[i]);
    resumed.Step(metrics[i]);
    EXPECT_EQ(resumed_sgd.lr(), sgd_.lr()) << "epoch " << i;
    EXPECT_EQ(resumed.num_bad_epochs(), schedule.num_bad_epochs());
    EXPECT_EQ(resumed.cooldown_counter(), schedule.cooldown_counter());
  }
  EXPECT_LT(sgd_.lr(), 1.0);
}

TEST_F(ScheduleTest, InfiniteBestRoundTrips) {
  ReduceLROnPlateau schedule(&sgd_, {.mode = Mode::kMax});
  io::Metadata metadata;
  schedule.ExportState("", &metadata);
  EXPECT_EQ(metadata.at("best"), "-inf");
  ReduceLROnPlateau other(&sgd_, {.mode = Mode::kMax});
  ASSERT_TRUE(other.ImportState("", metadata).ok());
  EXPECT_EQ(other.best(), -INFINITY);
}

TEST_F(ScheduleTest, CosineStateRoundTripResumesExactly) {
  CosineAnnealingLR schedule(&sgd_, 5, 0.01);
  for (int i = 0; i < 3; ++i) schedule.Step();
  io::Metadata metadata;
  io::TensorMap tensors;
  schedule.ExportState("sched.", &metadata);
  sgd_.ExportState("optim.", &tensors, &metadata);
  Parameter q{Tensor::Zeros({1}), Tensor::Zeros({1})};
  SGD other_sgd({{"p", &q}}, {.lr = 1.0});
  CosineAnnealingLR other(&other_sgd, 5, 0.01);
  ASSERT_TRUE(other_sgd.ImportState("optim.", tensors, metadata).ok());
  ASSERT_TRUE(other.ImportState("sched.", metadata).ok());
  for (int i = 0; i < 12; ++i) {
    schedule.Step();
    other.Step();
    EXPECT_EQ(other_sgd.lr(), sgd_.lr());
  }
}

TEST_F(ScheduleTest, ImportRejectsOtherTypesAndOptions) {
  StepLR step(&sgd_, 3, 0.1);
  io::Metadata metadata;
  step.ExportState("sched.", &metadata);
  CosineAnnealingLR cosine(&sgd_, 3);
  absl::Status s = cosine.ImportState("sched.", metadata);
  EXPECT_THAT(s.message(),
              HasSubstr("schedule state is StepLR, the schedule is CosineAnnealingLR"));
  StepLR other(&sgd_, 4, 0.1);
  s = other.ImportState("sched.", metadata);
  EXPECT_THAT(s.message(), HasSubstr("step_size was 3 when saved, is 4 now"));
  EXPECT_THAT(other.ImportState("nothing.", metadata).message(), HasSubstr("no schedule state"));
  metadata["sched.last_epoch"] = "x";
  EXPECT_THAT(step.ImportState("sched.", metadata).message(),
              HasSubstr("metadata 'sched.last_epoch' = 'x' is not an integer"));
}

TEST_F(ScheduleTest, PlateauImportLeavesStateOnError) {
  ReduceLROnPlateau schedule(&sgd_, {});
  schedule.Step(1.0);
  io::Metadata metadata;
  schedule.ExportState("", &metadata);
  metadata["num_bad_epochs"] = "-3";
  ReduceLROnPlateau other(&sgd_, {});
  EXPECT_FALSE(other.ImportState("", metadata).ok());
  EXPECT_EQ(other.best(), INFINITY);
  EXPECT_EQ(other.last_epoch(), 0);
}

TEST(ScheduleDeathTest, PlateauFactorMustBeBelowOne) {
  Parameter p{Tensor::Zeros({1}), Tensor::Zeros({1})};
  SGD sgd({{"p", &p}}, {.lr = 1.0});
  EXPECT_DEATH(ReduceLROnPlateau(&sgd, {.factor = 1.0}), "factor should be < 1.0");
  EXPECT_DEATH(StepLR(&sgd, 0), "step_size must be positive");
}

}  // namespace
}  // namespace nn::optim
