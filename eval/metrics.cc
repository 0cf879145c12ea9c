// Binary classification metrics, following scikit-learn 1.2's definitions (see metrics.h);
// tools/sklearn_ref/make_metrics_reference.py makes the reference values the tests use.
#include "eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <optional>

#include "nn/check.h"

namespace eval {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Programmer errors: mismatched lengths, labels other than 0/1, NaN or infinite scores.
void CheckInputs(const std::vector<double>& scores, const std::vector<int>& labels,
                 const char* function) {
  NN_CHECK(scores.size() == labels.size())
      << function << ": " << scores.size() << " scores but " << labels.size() << " labels";
  for (size_t i = 0; i < scores.size(); ++i) {
    NN_CHECK(labels[i] == 0 || labels[i] == 1)
        << function << ": label " << i << " is " << labels[i] << " (must be 0 = real or 1 = fake)";
    NN_CHECK(std::isfinite(scores[i])) << function << ": score " << i << " is " << scores[i];
  }
}

int64_t CountFakes(const std::vector<int>& labels) {
  return std::count(labels.begin(), labels.end(), 1);
}

// sklearn's _binary_clf_curve: cumulative true/false positives at each distinct score,
// descending (a point predicts fake for every score >= its threshold).
struct CumulativeCounts {
  std::vector<int64_t> true_fake, false_fake;
  std::vector<double> thresholds;
};

CumulativeCounts CountsPerDistinctScore(const std::vector<double>& scores,
                                        const std::vector<int>& labels) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  CumulativeCounts counts;
  int64_t tp = 0, fp = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    (labels[order[k]] == 1 ? tp : fp) += 1;
    const bool last_of_its_score =
        k + 1 == order.size() || scores[order[k + 1]] != scores[order[k]];
    if (last_of_its_score) {
      counts.true_fake.push_back(tp);
      counts.false_fake.push_back(fp);
      counts.thresholds.push_back(scores[order[k]]);
    }
  }
  return counts;
}

// (TPR + TNR) / 2 when `caught` of num_fake fakes and `flagged` of num_real reals score at or
// above the threshold.
double BalancedAccuracy(int64_t caught, int64_t num_fake, int64_t flagged, int64_t num_real) {
  return (static_cast<double>(caught) / static_cast<double>(num_fake) +
          static_cast<double>(num_real - flagged) / static_cast<double>(num_real)) /
         2;
}

// What both threshold rules start from: the class sizes and the cumulative counts at each
// distinct score; nullopt when a class is missing (then no threshold separates them).
struct ClassCounts {
  int64_t num_fake, num_real;
  CumulativeCounts counts;
};
std::optional<ClassCounts> CountClasses(const std::vector<double>& scores,
                                        const std::vector<int>& labels) {
  const int64_t num_fake = CountFakes(labels);
  const int64_t num_real = static_cast<int64_t>(labels.size()) - num_fake;
  if (num_fake == 0 || num_real == 0) return std::nullopt;
  return ClassCounts{num_fake, num_real, CountsPerDistinctScore(scores, labels)};
}

// The choice of a threshold rule when a class is missing: the default threshold, and a
// balanced accuracy of NaN.
ThresholdChoice UndefinedChoice() {
  ThresholdChoice choice;
  choice.balanced_accuracy = kNaN;
  return choice;
}

}  // namespace

RocCurve ComputeRoc(const std::vector<double>& scores, const std::vector<int>& labels) {
  CheckInputs(scores, labels, "ComputeRoc");
  const CumulativeCounts counts = CountsPerDistinctScore(scores, labels);
  // Divisions by a class count of zero give NaN (0/0), as sklearn's curve does.
  const double num_fake = static_cast<double>(CountFakes(labels));
  const double num_real = static_cast<double>(labels.size()) - num_fake;
  RocCurve roc;
  roc.fpr.push_back(0.0 / num_real);
  roc.tpr.push_back(0.0 / num_fake);
  roc.thresholds.push_back(std::numeric_limits<double>::infinity());
  for (size_t i = 0; i < counts.thresholds.size(); ++i) {
    roc.fpr.push_back(static_cast<double>(counts.false_fake[i]) / num_real);
    roc.tpr.push_back(static_cast<double>(counts.true_fake[i]) / num_fake);
    roc.thresholds.push_back(counts.thresholds[i]);
  }
  return roc;
}

double RocAuc(const std::vector<double>& scores, const std::vector<int>& labels) {
  CheckInputs(scores, labels, "RocAuc");
  const int64_t num_fake = CountFakes(labels);
  if (num_fake == 0 || num_fake == static_cast<int64_t>(labels.size())) return kNaN;
  const RocCurve roc = ComputeRoc(scores, labels);
  double area = 0;  // trapezoidal rule, as sklearn.metrics.auc
  for (size_t i = 1; i < roc.fpr.size(); ++i) {
    area += (roc.fpr[i] - roc.fpr[i - 1]) * (roc.tpr[i] + roc.tpr[i - 1]) / 2;
  }
  return area;
}

EqualErrorRate ComputeEqualErrorRate(const std::vector<double>& scores,
                                     const std::vector<int>& labels) {
  CheckInputs(scores, labels, "ComputeEqualErrorRate");
  const int64_t num_fake = CountFakes(labels);
  if (num_fake == 0 || num_fake == static_cast<int64_t>(labels.size())) return {kNaN, kNaN};
  const RocCurve roc = ComputeRoc(scores, labels);
  // d = FPR - FNR rises from -1 at (0, 0) to +1 at (1, 1); find where it crosses 0.
  auto difference = [&](size_t i) { return roc.fpr[i] - (1 - roc.tpr[i]); };
  size_t i = 0;
  while (difference(i) < 0) ++i;  // ends at the last point at the latest (d = 1)
  if (difference(i) == 0) return {roc.fpr[i], roc.thresholds[i]};
  const double before = difference(i - 1), after = difference(i);
  const double t = -before / (after - before);  // in (0, 1); >= 0.5 when i - 1 == 0
  EqualErrorRate result;
  result.eer = roc.fpr[i - 1] + t * (roc.fpr[i] - roc.fpr[i - 1]);
  result.threshold = t < 0.5 ? roc.thresholds[i - 1] : roc.thresholds[i];
  return result;
}

double AveragePrecision(const std::vector<double>& scores, const std::vector<int>& labels) {
  CheckInputs(scores, labels, "AveragePrecision");
  const int64_t num_fake = CountFakes(labels);
  if (num_fake == 0) return kNaN;
  const CumulativeCounts counts = CountsPerDistinctScore(scores, labels);
  // AP = sum_k (R_k - R_{k-1}) P_k over the distinct thresholds, no interpolation.
  double ap = 0, previous_recall = 0;
  for (size_t k = 0; k < counts.thresholds.size(); ++k) {
    const double recall = static_cast<double>(counts.true_fake[k]) / num_fake;
    const double precision = static_cast<double>(counts.true_fake[k]) /
                             static_cast<double>(counts.true_fake[k] + counts.false_fake[k]);
    ap += (recall - previous_recall) * precision;
    previous_recall = recall;
  }
  return ap;
}

double LogLoss(const std::vector<double>& scores, const std::vector<int>& labels) {
  CheckInputs(scores, labels, "LogLoss");
  if (scores.empty()) return kNaN;
  constexpr double kEps = 1e-15;
  double sum = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    // Clip the score first, then take 1 - p, as sklearn does (1 - (1 - 1e-15) is not 1e-15).
    const double p = std::clamp(scores[i], kEps, 1 - kEps);
    sum -= std::log(labels[i] == 1 ? p : 1 - p);
  }
  return sum / static_cast<double>(scores.size());
}

ConfusionCounts CountAtThreshold(const std::vector<double>& scores, const std::vector<int>& labels,
                                 double threshold) {
  CheckInputs(scores, labels, "CountAtThreshold");
  ConfusionCounts counts;
  for (size_t i = 0; i < scores.size(); ++i) {
    const bool predicted_fake = scores[i] >= threshold;
    if (labels[i] == 1) {
      (predicted_fake ? counts.true_fake : counts.false_real) += 1;
    } else {
      (predicted_fake ? counts.false_fake : counts.true_real) += 1;
    }
  }
  return counts;
}

ThresholdChoice BestBalancedAccuracyThreshold(const std::vector<double>& scores,
                                              const std::vector<int>& labels) {
  CheckInputs(scores, labels, "BestBalancedAccuracyThreshold");
  const std::optional<ClassCounts> classes = CountClasses(scores, labels);
  if (!classes) return UndefinedChoice();
  const auto& [num_fake, num_real, counts] = *classes;
  // Balanced accuracy * 2 * P * N = TP * N + TN * P: compared exactly, in integers, so
  // equal balanced accuracies are ties however the divisions would round.
  int64_t best_key = -1;
  size_t best_index = 0;
  for (size_t k = 0; k < counts.thresholds.size(); ++k) {
    const int64_t key =
        counts.true_fake[k] * num_real + (num_real - counts.false_fake[k]) * num_fake;
    if (key > best_key || (key == best_key && std::abs(counts.thresholds[k] - 0.5) <
                                                  std::abs(counts.thresholds[best_index] - 0.5))) {
      best_key = key;
      best_index = k;
    }
  }
  ThresholdChoice best;
  best.threshold = counts.thresholds[best_index];
  best.balanced_accuracy = BalancedAccuracy(counts.true_fake[best_index], num_fake,
                                            counts.false_fake[best_index], num_real);
  return best;
}

ThresholdChoice MaxFprThreshold(const std::vector<double>& scores, const std::vector<int>& labels,
                                double max_fpr) {
  CheckInputs(scores, labels, "MaxFprThreshold");
  NN_CHECK(max_fpr >= 0 && max_fpr < 1)
      << "MaxFprThreshold: max_fpr " << max_fpr << " is not in [0, 1)";
  const std::optional<ClassCounts> classes = CountClasses(scores, labels);
  if (!classes) return UndefinedChoice();
  const auto& [num_fake, num_real, counts] = *classes;
  // Reals flagged may be at most floor(max_fpr * num_real); counts grow as thresholds fall.
  const auto allowed = static_cast<int64_t>(std::floor(max_fpr * static_cast<double>(num_real)));
  int64_t chosen = -1;
  for (size_t k = 0; k < counts.thresholds.size() && counts.false_fake[k] <= allowed; ++k) {
    chosen = static_cast<int64_t>(k);
  }
  const int64_t caught = chosen < 0 ? 0 : counts.true_fake[chosen];
  const int64_t flagged = chosen < 0 ? 0 : counts.false_fake[chosen];
  ThresholdChoice choice;
  choice.threshold =
      chosen < 0 ? std::nextafter(counts.thresholds[0], std::numeric_limits<double>::infinity())
                 : counts.thresholds[chosen];
  choice.balanced_accuracy = BalancedAccuracy(caught, num_fake, flagged, num_real);
  return choice;
}

Calibration ComputeCalibration(const std::vector<double>& scores, const std::vector<int>& labels,
                               int num_bins) {
  CheckInputs(scores, labels, "ComputeCalibration");
  NN_CHECK(num_bins >= 1) << "ComputeCalibration: num_bins is " << num_bins;
  Calibration calibration;
  calibration.bins.resize(num_bins);
  std::vector<double> score_sums(num_bins, 0.0);
  std::vector<int64_t> fakes(num_bins, 0);
  for (size_t i = 0; i < scores.size(); ++i) {
    const int bin = std::clamp(static_cast<int>(std::floor(scores[i] * num_bins)), 0, num_bins - 1);
    calibration.bins[bin].count += 1;
    score_sums[bin] += scores[i];
    fakes[bin] += labels[i];
  }
  if (scores.empty()) calibration.expected_calibration_error = kNaN;
  for (int b = 0; b < num_bins; ++b) {
    CalibrationBin& bin = calibration.bins[b];
    bin.lower = static_cast<double>(b) / num_bins;
    bin.upper = static_cast<double>(b + 1) / num_bins;
    if (bin.count == 0) {
      bin.mean_score = bin.fraction_fake = kNaN;
      continue;
    }
    bin.mean_score = score_sums[b] / static_cast<double>(bin.count);
    bin.fraction_fake = static_cast<double>(fakes[b]) / static_cast<double>(bin.count);
    calibration.expected_calibration_error += static_cast<double>(bin.count) /
                                              static_cast<double>(scores.size()) *
                                              std::abs(bin.mean_score - bin.fraction_fake);
  }
  return calibration;
}

BinaryMetrics ComputeBinaryMetrics(const std::vector<double>& scores,
                                   const std::vector<int>& labels, double threshold) {
  CheckInputs(scores, labels, "ComputeBinaryMetrics");
  BinaryMetrics m;
  m.num_fake = CountFakes(labels);
  m.num_real = static_cast<int64_t>(labels.size()) - m.num_fake;
  m.threshold = threshold;
  m.counts = CountAtThreshold(scores, labels, threshold);
  const ConfusionCounts& c = m.counts;
  const auto ratio = [](int64_t a, int64_t b) {
    return b == 0 ? kNaN : static_cast<double>(a) / static_cast<double>(b);
  };
  m.accuracy = ratio(c.true_fake + c.true_real, m.num_fake + m.num_real);
  m.recall = ratio(c.true_fake, m.num_fake);
  m.balanced_accuracy = (ratio(c.true_real, m.num_real) + m.recall) / 2;  // NaN if one is
  // Nothing predicted fake: precision 0, as sklearn's precision_score (zero_division).
  m.precision =
      c.true_fake + c.false_fake == 0 ? 0.0 : ratio(c.true_fake, c.true_fake + c.false_fake);
  m.auc = RocAuc(scores, labels);
  m.eer = ComputeEqualErrorRate(scores, labels);
  m.average_precision = AveragePrecision(scores, labels);
  m.log_loss = LogLoss(scores, labels);
  m.expected_calibration_error = ComputeCalibration(scores, labels).expected_calibration_error;
  m.best_threshold = BestBalancedAccuracyThreshold(scores, labels);
  return m;
}

nlohmann::json MetricsToJson(const BinaryMetrics& metrics) {
  const auto number = [](double value) -> nlohmann::json {
    if (!std::isfinite(value)) return nullptr;
    return value;
  };
  nlohmann::json json;
  json["auc"] = number(metrics.auc);
  json["eer"] = number(metrics.eer.eer);
  json["eer_threshold"] = number(metrics.eer.threshold);
  json["average_precision"] = number(metrics.average_precision);
  json["log_loss"] = number(metrics.log_loss);
  json["accuracy"] = number(metrics.accuracy);
  json["balanced_accuracy"] = number(metrics.balanced_accuracy);
  json["precision"] = number(metrics.precision);
  json["recall"] = number(metrics.recall);
  json["threshold"] = number(metrics.threshold);
  json["num_real"] = metrics.num_real;
  json["num_fake"] = metrics.num_fake;
  json["true_fake"] = metrics.counts.true_fake;
  json["false_fake"] = metrics.counts.false_fake;
  json["true_real"] = metrics.counts.true_real;
  json["false_real"] = metrics.counts.false_real;
  json["ece"] = number(metrics.expected_calibration_error);
  json["best_threshold"] = number(metrics.best_threshold.threshold);
  json["best_balanced_accuracy"] = number(metrics.best_threshold.balanced_accuracy);
  return json;
}

}  // namespace eval
