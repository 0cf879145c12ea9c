// Binary classification metrics for deepfake scores, defined as scikit-learn 1.2 defines
// them, so numbers compare with the field's papers and tools: ROC curve and AUC (ties
// handled as one threshold), equal error rate, average precision (step interpolation, as
// sklearn.metrics.average_precision_score), log loss, accuracy / balanced accuracy at a
// threshold, the threshold that maximizes balanced accuracy, and the expected calibration
// error. Scores are P(fake) in [0, 1]; labels are 1 = fake, 0 = real. Training's validation
// and `deepfake evaluate` both call these.
#ifndef EVAL_METRICS_H_
#define EVAL_METRICS_H_

#include <cstdint>
#include <vector>

#include "nlohmann/json.hpp"

namespace eval {

// sklearn.metrics.roc_curve(labels, scores, drop_intermediate=False): one point per distinct
// score, descending, starting at (0, 0) with threshold +inf.
struct RocCurve {
  std::vector<double> fpr, tpr, thresholds;
};
RocCurve ComputeRoc(const std::vector<double>& scores, const std::vector<int>& labels);

// Area under the ROC curve (trapezoidal, = sklearn.metrics.roc_auc_score). NaN when either
// class is missing.
double RocAuc(const std::vector<double>& scores, const std::vector<int>& labels);

// The point of the ROC curve where the false positive rate equals the false negative rate,
// interpolated linearly between the two curve points that bracket it; `threshold` is the
// score threshold of the nearer point. NaN when either class is missing.
struct EqualErrorRate {
  double eer = 0;
  double threshold = 0;
};
EqualErrorRate ComputeEqualErrorRate(const std::vector<double>& scores,
                                     const std::vector<int>& labels);

// sklearn.metrics.average_precision_score. NaN without positives.
double AveragePrecision(const std::vector<double>& scores, const std::vector<int>& labels);

// sklearn.metrics.log_loss with probabilities clipped to [eps, 1 - eps], eps = 1e-15.
double LogLoss(const std::vector<double>& scores, const std::vector<int>& labels);

// Predicted fake when score >= threshold.
struct ConfusionCounts {
  int64_t true_fake = 0, false_fake = 0, true_real = 0, false_real = 0;
};
ConfusionCounts CountAtThreshold(const std::vector<double>& scores,
                                 const std::vector<int>& labels, double threshold);

// The threshold (one of the distinct scores, predicting fake when score >= it) that
// maximizes balanced accuracy = (TPR + TNR) / 2; ties go to the threshold closest to 0.5.
// 0.5 when either class is missing.
struct ThresholdChoice {
  double threshold = 0.5;
  double balanced_accuracy = 0;
};
ThresholdChoice BestBalancedAccuracyThreshold(const std::vector<double>& scores,
                                              const std::vector<int>& labels);

// The lowest threshold (one of the distinct scores, or just above the highest when even it
// flags too many reals) whose false positive rate on these scores is at most `max_fpr`
// (in [0, 1)): the most fakes caught with at most that share of reals flagged, for an
// analyst who must bound false alarms. balanced_accuracy is the one at that threshold. 0.5
// (balanced accuracy NaN) when either class is missing.
ThresholdChoice MaxFprThreshold(const std::vector<double>& scores, const std::vector<int>& labels,
                                double max_fpr);

// Reliability: `num_bins` equal-width bins of [0, 1] over the score (the last bin closed);
// ECE = sum over bins of count/N * |mean score - fraction fake|.
struct CalibrationBin {
  double lower = 0, upper = 0;
  int64_t count = 0;
  double mean_score = 0;     // NaN for an empty bin
  double fraction_fake = 0;  // NaN for an empty bin
};
struct Calibration {
  double expected_calibration_error = 0;
  std::vector<CalibrationBin> bins;
};
Calibration ComputeCalibration(const std::vector<double>& scores, const std::vector<int>& labels,
                               int num_bins = 15);

// Everything at once, at `threshold`. Undefined values (one class missing) are NaN.
struct BinaryMetrics {
  int64_t num_real = 0, num_fake = 0;
  double threshold = 0.5;
  double accuracy = 0, balanced_accuracy = 0, precision = 0, recall = 0;
  ConfusionCounts counts;
  double auc = 0;
  EqualErrorRate eer;
  double average_precision = 0;
  double log_loss = 0;
  double expected_calibration_error = 0;
  ThresholdChoice best_threshold;  // on these scores
};
BinaryMetrics ComputeBinaryMetrics(const std::vector<double>& scores,
                                   const std::vector<int>& labels, double threshold);

// Flat JSON object ("auc", "eer", "eer_threshold", "average_precision", "log_loss",
// "accuracy", "balanced_accuracy", "precision", "recall", "threshold", "num_real",
// "num_fake", "true_fake", ..., "ece", "best_threshold", "best_balanced_accuracy");
// NaN becomes null.
nlohmann::json MetricsToJson(const BinaryMetrics& metrics);

}  // namespace eval

#endif  // EVAL_METRICS_H_
