// Evaluation of a model on labelled videos, shared by `deepfake evaluate` and the training
// loop's validation: the metrics at video and frame level (eval/metrics.h) at a threshold,
// a per-video CSV, the ROC plot and the calibration summary.
#ifndef EVAL_EVALUATE_H_
#define EVAL_EVALUATE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "eval/metrics.h"
#include "eval/score.h"
#include "nlohmann/json.hpp"

namespace eval {

struct EvaluationSummary {
  BinaryMetrics video;  // one score per scored video
  BinaryMetrics frame;  // every frame score
  Calibration calibration;  // video level
  int videos = 0, scored = 0, not_scored = 0;
};

// Metrics of `videos` (only scored ones with a label) at `threshold`.
EvaluationSummary Summarize(const std::vector<VideoScore>& videos, double threshold);
nlohmann::json SummaryToJson(const EvaluationSummary& summary);
// A few lines for the console: AUC, EER, AP, accuracy, log loss, ECE, counts.
std::string SummaryText(const EvaluationSummary& summary);

// path,label,score,verdict,tracks,error (RFC 4180 quoting); verdict FAKE/REAL at
// `threshold`, UNDETERMINED when not scored. Written atomically.
absl::Status WritePerVideoCsv(const std::vector<VideoScore>& videos, double threshold,
                              const std::string& path);
// ROC curve of the video-level scores (with frame-level dashed) and a reliability diagram,
// side by side, as a PNG (eval/plot/chart.h).
absl::Status WriteRocPng(const std::vector<VideoScore>& videos, const std::string& title,
                         const std::string& path);

}  // namespace eval

#endif  // EVAL_EVALUATE_H_
