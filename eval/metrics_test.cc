// eval/metrics.h against scikit-learn 1.2 (eval/testdata/metrics_reference.json, made by
// tools/sklearn_ref/make_metrics_reference.py) at 1e-12, and against hand-computed cases.
#include "eval/metrics.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace eval {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::IsNan;

constexpr double kTolerance = 1e-12;
constexpr double kInf = std::numeric_limits<double>::infinity();

// A reference value: a number, or null for "undefined" (NaN here).
void ExpectMatches(double actual, const nlohmann::json& expected, const std::string& what) {
  if (expected.is_null()) {
    EXPECT_TRUE(std::isnan(actual)) << what << " = " << actual << ", expected NaN";
  } else {
    EXPECT_NEAR(actual, expected.get<double>(), kTolerance) << what;
  }
}

void ExpectVectorMatches(const std::vector<double>& actual, const nlohmann::json& expected,
                         const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (size_t i = 0; i < actual.size(); ++i) {
    ExpectMatches(actual[i], expected[i], what + "[" + std::to_string(i) + "]");
  }
}

class SklearnReferenceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::ifstream file("eval/testdata/metrics_reference.json");
    ASSERT_TRUE(file) << "cannot open eval/testdata/metrics_reference.json";
    reference_ = new nlohmann::json(nlohmann::json::parse(file));
  }
  static void TearDownTestSuite() { delete reference_; }
  static const nlohmann::json& Cases() { return (*reference_)["cases"]; }

  static nlohmann::json* reference_;
};
nlohmann::json* SklearnReferenceTest::reference_ = nullptr;

TEST_F(SklearnReferenceTest, CoversTheCasesItShould) {
  ASSERT_GE(Cases().size(), 10u);
  EXPECT_EQ((*reference_)["sklearn_version"].get<std::string>().substr(0, 4), "1.2.");
}

TEST_F(SklearnReferenceTest, RocCurveMatches) {
  for (const auto& c : Cases()) {
    const std::string name = c["name"];
    const RocCurve roc = ComputeRoc(c["scores"], c["labels"]);
    ExpectVectorMatches(roc.fpr, c["roc"]["fpr"], name + " fpr");
    ExpectVectorMatches(roc.tpr, c["roc"]["tpr"], name + " tpr");
    ASSERT_FALSE(roc.thresholds.empty()) << name;
    EXPECT_EQ(roc.thresholds[0], kInf) << name;
    ExpectVectorMatches(std::vector<double>(roc.thresholds.begin() + 1, roc.thresholds.end()),
                        c["roc"]["thresholds_after_first"], name + " thresholds");
  }
}

TEST_F(SklearnReferenceTest, ScalarMetricsMatch) {
  for (const auto& c : Cases()) {
    const std::string name = c["name"];
    const std::vector<double> scores = c["scores"];
    const std::vector<int> labels = c["labels"];
    ExpectMatches(RocAuc(scores, labels), c["auc"], name + " auc");
    const EqualErrorRate eer = ComputeEqualErrorRate(scores, labels);
    ExpectMatches(eer.eer, c["eer"], name + " eer");
    ExpectMatches(eer.threshold, c["eer_threshold"], name + " eer threshold");
    ExpectMatches(AveragePrecision(scores, labels), c["average_precision"], name + " ap");
    ExpectMatches(LogLoss(scores, labels), c["log_loss"], name + " log loss");
    const ThresholdChoice best = BestBalancedAccuracyThreshold(scores, labels);
    ExpectMatches(best.threshold, c["best_threshold"], name + " best threshold");
    ExpectMatches(best.balanced_accuracy, c["best_balanced_accuracy"], name + " best bal acc");
  }
}

TEST_F(SklearnReferenceTest, AtThresholdMatches) {
  for (const auto& c : Cases()) {
    for (const auto& at : c["at_threshold"]) {
      const std::string name = c["name"].get<std::string>() + " @" + at["threshold"].dump();
      const BinaryMetrics m = ComputeBinaryMetrics(c["scores"], c["labels"], at["threshold"]);
      EXPECT_EQ(m.counts.true_fake, at["true_fake"].get<int64_t>()) << name;
      EXPECT_EQ(m.counts.false_fake, at["false_fake"].get<int64_t>()) << name;
      EXPECT_EQ(m.counts.true_real, at["true_real"].get<int64_t>()) << name;
      EXPECT_EQ(m.counts.false_real, at["false_real"].get<int64_t>()) << name;
      ExpectMatches(m.accuracy, at["accuracy"], name + " accuracy");
      ExpectMatches(m.balanced_accuracy, at["balanced_accuracy"], name + " balanced accuracy");
      ExpectMatches(m.precision, at["precision"], name + " precision");
      ExpectMatches(m.recall, at["recall"], name + " recall");
      // The threshold-free fields agree with the single functions.
      ExpectMatches(m.auc, c["auc"], name + " auc");
      ExpectMatches(m.average_precision, c["average_precision"], name + " ap");
      ExpectMatches(m.expected_calibration_error, c["calibration"][0]["ece"], name + " ece");
    }
  }
}

TEST_F(SklearnReferenceTest, CalibrationMatches) {
  for (const auto& c : Cases()) {
    for (const auto& reference : c["calibration"]) {
      const int num_bins = reference["num_bins"];
      const std::string name = c["name"].get<std::string>() + " bins=" + std::to_string(num_bins);
      const Calibration cal = ComputeCalibration(c["scores"], c["labels"], num_bins);
      ExpectMatches(cal.expected_calibration_error, reference["ece"], name + " ece");
      ASSERT_EQ(cal.bins.size(), static_cast<size_t>(num_bins)) << name;
      for (int b = 0; b < num_bins; ++b) {
        const auto& bin = reference["bins"][b];
        const std::string what = name + " bin " + std::to_string(b);
        EXPECT_EQ(cal.bins[b].count, bin["count"].get<int64_t>()) << what;
        ExpectMatches(cal.bins[b].lower, bin["lower"], what + " lower");
        ExpectMatches(cal.bins[b].upper, bin["upper"], what + " upper");
        ExpectMatches(cal.bins[b].mean_score, bin["mean_score"], what + " mean score");
        ExpectMatches(cal.bins[b].fraction_fake, bin["fraction_fake"], what + " fraction fake");
      }
    }
  }
}

// --- Hand-computed cases.

// Scores 0.1 (real), 0.4 (fake), 0.4 (real), 0.8 (fake): the tie at 0.4 is one point.
// Thresholds inf, 0.8, 0.4, 0.1 -> (fpr, tpr) = (0,0), (0,.5), (.5,1), (1,1).
// AUC = .5 * (.5 + 1) / 2 + .5 * 1 = 0.875. AP = .5 * 1 + .5 * 2/3 = 5/6.
TEST(MetricsByHandTest, TiedScoresAreOnePoint) {
  const std::vector<double> scores = {0.1, 0.4, 0.4, 0.8};
  const std::vector<int> labels = {0, 1, 0, 1};
  const RocCurve roc = ComputeRoc(scores, labels);
  EXPECT_THAT(roc.fpr, ElementsAre(0, 0, 0.5, 1));
  EXPECT_THAT(roc.tpr, ElementsAre(0, 0.5, 1, 1));
  EXPECT_THAT(roc.thresholds, ElementsAre(kInf, 0.8, 0.4, 0.1));
  EXPECT_DOUBLE_EQ(RocAuc(scores, labels), 0.875);
  EXPECT_DOUBLE_EQ(AveragePrecision(scores, labels), 5.0 / 6);
  // FPR - FNR: -1, -.5, .5, 1 -> crosses halfway between (0, .5) and (.5, 1): EER .25;
  // the tie at t = .5 goes to the later point (threshold 0.4).
  const EqualErrorRate eer = ComputeEqualErrorRate(scores, labels);
  EXPECT_DOUBLE_EQ(eer.eer, 0.25);
  EXPECT_DOUBLE_EQ(eer.threshold, 0.4);
  // Balanced accuracy: @0.8 (.5 + 1)/2 = .75, @0.4 (1 + .5)/2 = .75, @0.1 .5: the tie goes
  // to 0.4, the closer to 0.5.
  const ThresholdChoice best = BestBalancedAccuracyThreshold(scores, labels);
  EXPECT_DOUBLE_EQ(best.threshold, 0.4);
  EXPECT_DOUBLE_EQ(best.balanced_accuracy, 0.75);
}

TEST(MetricsByHandTest, MaxFprThresholdCatchesMostFakesWithinTheCap) {
  // Descending: 0.9 fake, 0.8 real, 0.7 fake, 0.6 fake, 0.5 real, 0.3 real, 0.2 real, 0.1 fake.
  const std::vector<double> scores = {0.9, 0.8, 0.7, 0.6, 0.5, 0.3, 0.2, 0.1};
  const std::vector<int> labels = {1, 0, 1, 1, 0, 0, 0, 1};
  // 4 reals: a cap of 0.25 allows one flagged real, so the threshold falls to 0.6 (3 of 4
  // fakes caught, 1 real flagged: balanced accuracy (3/4 + 3/4) / 2).
  ThresholdChoice c = MaxFprThreshold(scores, labels, 0.25);
  EXPECT_DOUBLE_EQ(c.threshold, 0.6);
  EXPECT_DOUBLE_EQ(c.balanced_accuracy, 0.75);
  // 0.2 allows none: only the score above the first real, 0.9.
  c = MaxFprThreshold(scores, labels, 0.2);
  EXPECT_DOUBLE_EQ(c.threshold, 0.9);
  EXPECT_DOUBLE_EQ(c.balanced_accuracy, (1.0 + 0.25) / 2);
  // 0.5 allows two: down to 0.5 (the next real would be a third).
  EXPECT_DOUBLE_EQ(MaxFprThreshold(scores, labels, 0.5).threshold, 0.5);
  // The highest score is a real and none may be flagged: just above it, nothing flagged.
  c = MaxFprThreshold({0.9, 0.4}, {0, 1}, 0.0);
  EXPECT_GT(c.threshold, 0.9);
  EXPECT_LT(c.threshold, 0.9 + 1e-12);
  EXPECT_DOUBLE_EQ(c.balanced_accuracy, 0.5);
  // A missing class: 0.5, NaN.
  c = MaxFprThreshold({0.2, 0.7}, {1, 1}, 0.1);
  EXPECT_DOUBLE_EQ(c.threshold, 0.5);
  EXPECT_THAT(c.balanced_accuracy, IsNan());
}

TEST(MetricsByHandTest, LogLossClipsAtOneEMinus15) {
  // -log(1e-15) for a confidently wrong score, -log(1 - 1e-15) for a confidently right one.
  EXPECT_NEAR(LogLoss({0.0}, {1}), -std::log(1e-15), 1e-9);
  EXPECT_DOUBLE_EQ(LogLoss({1.0}, {0}), -std::log(1 - (1 - 1e-15)));  // clipped, then 1 - p
  EXPECT_NEAR(LogLoss({1.0, 0.0}, {1, 0}), -std::log(1 - 1e-15), 1e-20);
  EXPECT_DOUBLE_EQ(LogLoss({0.5, 0.25}, {1, 0}), (std::log(2.0) - std::log(0.75)) / 2);
}

TEST(MetricsByHandTest, ThresholdIsInclusive) {
  const ConfusionCounts c = CountAtThreshold({0.5, 0.5, 0.49, 0.9}, {1, 0, 1, 0}, 0.5);
  EXPECT_EQ(c.true_fake, 1);
  EXPECT_EQ(c.false_fake, 2);
  EXPECT_EQ(c.true_real, 0);
  EXPECT_EQ(c.false_real, 1);
}

TEST(MetricsByHandTest, CalibrationBinsByHand) {
  // 2 bins: [0, .5) holds .2 (real) and .4 (fake): mean .3, fraction .5, gap .2;
  // [.5, 1] holds 1.0 (fake, the closed last bin) and .5 (fake): mean .75, fraction 1, gap .25.
  // ECE = 2/4 * .2 + 2/4 * .25 = .225.
  const Calibration cal = ComputeCalibration({0.2, 0.4, 1.0, 0.5}, {0, 1, 1, 1}, 2);
  ASSERT_EQ(cal.bins.size(), 2u);
  EXPECT_EQ(cal.bins[0].count, 2);
  EXPECT_EQ(cal.bins[1].count, 2);
  EXPECT_DOUBLE_EQ(cal.bins[0].mean_score, 0.3);
  EXPECT_DOUBLE_EQ(cal.bins[1].fraction_fake, 1.0);
  EXPECT_DOUBLE_EQ(cal.bins[1].lower, 0.5);
  EXPECT_DOUBLE_EQ(cal.bins[1].upper, 1.0);
  EXPECT_NEAR(cal.expected_calibration_error, 0.225, 1e-15);
  // An empty bin has NaN means and does not count.
  const Calibration sparse = ComputeCalibration({0.05, 0.95}, {0, 1}, 10);
  EXPECT_EQ(sparse.bins[5].count, 0);
  EXPECT_THAT(sparse.bins[5].mean_score, IsNan());
  EXPECT_NEAR(sparse.expected_calibration_error, 0.05, 1e-15);
}

TEST(MetricsByHandTest, MissingClassIsNaN) {
  const std::vector<double> scores = {0.2, 0.7};
  const std::vector<int> fakes = {1, 1};
  EXPECT_THAT(RocAuc(scores, fakes), IsNan());
  EXPECT_THAT(ComputeEqualErrorRate(scores, fakes).eer, IsNan());
  EXPECT_DOUBLE_EQ(AveragePrecision(scores, fakes), 1.0);
  EXPECT_THAT(AveragePrecision(scores, {0, 0}), IsNan());
  const BinaryMetrics m = ComputeBinaryMetrics(scores, fakes, 0.5);
  EXPECT_EQ(m.num_fake, 2);
  EXPECT_EQ(m.num_real, 0);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.5);
  EXPECT_DOUBLE_EQ(m.recall, 0.5);
  EXPECT_THAT(m.balanced_accuracy, IsNan());
  EXPECT_DOUBLE_EQ(m.best_threshold.threshold, 0.5);
  EXPECT_THAT(m.best_threshold.balanced_accuracy, IsNan());
  // Nothing at all.
  const BinaryMetrics empty = ComputeBinaryMetrics({}, {}, 0.5);
  EXPECT_THAT(empty.auc, IsNan());
  EXPECT_THAT(empty.accuracy, IsNan());
  EXPECT_THAT(empty.log_loss, IsNan());
  EXPECT_THAT(empty.expected_calibration_error, IsNan());
}

TEST(MetricsByHandTest, JsonHasEveryFieldAndNullForNaN) {
  const BinaryMetrics m = ComputeBinaryMetrics({0.2, 0.7, 0.9}, {0, 1, 1}, 0.5);
  const nlohmann::json json = MetricsToJson(m);
  for (const char* key : {"auc", "eer", "eer_threshold", "average_precision", "log_loss",
                          "accuracy", "balanced_accuracy", "precision", "recall", "threshold",
                          "num_real", "num_fake", "true_fake", "false_fake", "true_real",
                          "false_real", "ece", "best_threshold", "best_balanced_accuracy"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  EXPECT_DOUBLE_EQ(json["auc"].get<double>(), 1.0);
  EXPECT_EQ(json["num_fake"].get<int64_t>(), 2);
  EXPECT_EQ(json["true_fake"].get<int64_t>(), 2);
  const nlohmann::json one_class = MetricsToJson(ComputeBinaryMetrics({0.3}, {1}, 0.5));
  EXPECT_TRUE(one_class["auc"].is_null());
  EXPECT_TRUE(one_class["balanced_accuracy"].is_null());
  EXPECT_FALSE(one_class["accuracy"].is_null());
}

TEST(MetricsDeathTest, BadInputsNameTheProblem) {
  EXPECT_DEATH(RocAuc({0.1, 0.2}, {0}), "RocAuc: 2 scores but 1 labels");
  EXPECT_DEATH(LogLoss({0.1}, {2}), "LogLoss: label 0 is 2");
  EXPECT_DEATH(AveragePrecision({0.1, NAN}, {0, 1}), "AveragePrecision: score 1 is nan");
}

}  // namespace
}  // namespace eval
