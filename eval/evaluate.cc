// Evaluation reports: metrics at video and frame level, the console summary, the per-video
// CSV and the ROC + reliability figure.
#include "eval/evaluate.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/atomic_file.h"
#include "eval/plot/chart.h"

namespace eval {
namespace {

// "0.9531", or "n/a" for NaN (a metric undefined because a class is missing).
std::string Value(double value, int decimals = 4) {
  if (std::isnan(value)) return "n/a";
  return absl::StrFormat("%.*f", decimals, value);
}

nlohmann::json NumberOrNull(double value) {
  if (std::isnan(value)) return nullptr;
  return value;
}

// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string LabelName(int label) {
  if (label == 1) return "FAKE";
  if (label == 0) return "REAL";
  return "";
}

std::string MetricsLines(const char* level, const BinaryMetrics& m, const std::string& unit) {
  std::string text =
      absl::StrFormat("%s (%d real, %d fake %s): AUC %s  EER %s  AP %s  log loss %s\n", level,
                      m.num_real, m.num_fake, unit, Value(m.auc), Value(m.eer.eer),
                      Value(m.average_precision), Value(m.log_loss));
  absl::StrAppend(
      &text, absl::StrFormat("  at threshold %s: accuracy %s, balanced accuracy %s, precision %s, "
                             "recall %s (fakes caught %d, false alarms %d, reals passed %d, fakes "
                             "missed %d)\n",
                             Value(m.threshold), Value(m.accuracy), Value(m.balanced_accuracy),
                             Value(m.precision), Value(m.recall), m.counts.true_fake,
                             m.counts.false_fake, m.counts.true_real, m.counts.false_real));
  return text;
}

}  // namespace

EvaluationSummary Summarize(const std::vector<VideoScore>& videos, double threshold) {
  EvaluationSummary summary;
  summary.videos = static_cast<int>(videos.size());
  for (const VideoScore& video : videos) {
    if (video.scored) {
      ++summary.scored;
    } else {
      ++summary.not_scored;
    }
  }
  const LabelledScores video = VideoLevel(videos);
  const LabelledScores frame = FrameLevel(videos);
  summary.video = ComputeBinaryMetrics(video.scores, video.labels, threshold);
  summary.frame = ComputeBinaryMetrics(frame.scores, frame.labels, threshold);
  summary.calibration = ComputeCalibration(video.scores, video.labels);
  return summary;
}

nlohmann::json SummaryToJson(const EvaluationSummary& summary) {
  nlohmann::json bins = nlohmann::json::array();
  for (const CalibrationBin& bin : summary.calibration.bins) {
    bins.push_back({{"lower", bin.lower},
                    {"upper", bin.upper},
                    {"count", bin.count},
                    {"mean_score", NumberOrNull(bin.mean_score)},
                    {"fraction_fake", NumberOrNull(bin.fraction_fake)}});
  }
  return {{"videos", summary.videos},
          {"scored", summary.scored},
          {"not_scored", summary.not_scored},
          {"video", MetricsToJson(summary.video)},
          {"frame", MetricsToJson(summary.frame)},
          {"calibration",
           {{"ece", NumberOrNull(summary.calibration.expected_calibration_error)},
            {"bins", std::move(bins)}}}};
}

std::string SummaryText(const EvaluationSummary& summary) {
  std::string text = absl::StrFormat("videos: %d, scored %d, could not be analysed %d\n",
                                     summary.videos, summary.scored, summary.not_scored);
  absl::StrAppend(&text, MetricsLines("video level", summary.video, "videos"));
  absl::StrAppend(&text, absl::StrFormat("  best balanced accuracy %s at threshold %s\n",
                                         Value(summary.video.best_threshold.balanced_accuracy),
                                         Value(summary.video.best_threshold.threshold)));
  if (summary.frame.num_real + summary.frame.num_fake > 0) {
    absl::StrAppend(&text, MetricsLines("frame level", summary.frame, "frames"));
  }
  absl::StrAppend(&text, absl::StrFormat("calibration: expected calibration error %s (%d bins)\n",
                                         Value(summary.calibration.expected_calibration_error),
                                         summary.calibration.bins.size()));
  return text;
}

absl::Status WritePerVideoCsv(const std::vector<VideoScore>& videos, double threshold,
                              const std::string& path) {
  std::string csv = "path,label,score,verdict,tracks,error\n";
  for (const VideoScore& video : videos) {
    const std::string score = video.scored ? absl::StrFormat("%.6f", video.score) : "";
    const std::string verdict =
        !video.scored ? "UNDETERMINED" : (video.score >= threshold ? "FAKE" : "REAL");
    absl::StrAppend(&csv, CsvField(video.path), ",", LabelName(video.label), ",", score, ",",
                    verdict, ",", video.tracks.size(), ",", CsvField(video.error), "\n");
  }
  return base::WriteFileAtomically(path, csv);
}

absl::Status WriteRocPng(const std::vector<VideoScore>& videos, const std::string& title,
                         const std::string& path) {
  const LabelledScores video = VideoLevel(videos);
  const LabelledScores frame = FrameLevel(videos);

  plot::Chart roc;
  roc.title = title.empty() ? "ROC" : title;
  roc.x = {"false positive rate (reals called fake)", -0.02, 1.02};
  roc.y = {"true positive rate (fakes caught)", -0.02, 1.02};
  roc.diagonal = true;
  const RocCurve video_roc = ComputeRoc(video.scores, video.labels);
  plot::Series video_series;
  video_series.label =
      absl::StrCat("videos (AUC ", Value(RocAuc(video.scores, video.labels), 3), ")");
  video_series.x = video_roc.fpr;
  video_series.y = video_roc.tpr;
  video_series.markers = video_roc.fpr.size() <= 30;
  roc.series.push_back(std::move(video_series));
  if (!frame.scores.empty()) {
    const RocCurve frame_roc = ComputeRoc(frame.scores, frame.labels);
    plot::Series frame_series;
    frame_series.label =
        absl::StrCat("frames (AUC ", Value(RocAuc(frame.scores, frame.labels), 3), ")");
    frame_series.x = frame_roc.fpr;
    frame_series.y = frame_roc.tpr;
    frame_series.dashed = true;
    roc.series.push_back(std::move(frame_series));
  }

  const Calibration calibration = ComputeCalibration(video.scores, video.labels);
  plot::Chart reliability;
  reliability.title =
      absl::StrCat("Reliability (ECE ", Value(calibration.expected_calibration_error, 3), ")");
  reliability.x = {"mean predicted P(fake)", -0.02, 1.02};
  reliability.y = {"fraction fake", -0.02, 1.02};
  reliability.diagonal = true;
  plot::Series bins;
  bins.label = "videos per score bin";
  for (const CalibrationBin& bin : calibration.bins) {
    if (bin.count == 0) continue;
    bins.x.push_back(bin.mean_score);
    bins.y.push_back(bin.fraction_fake);
  }
  bins.markers = true;
  reliability.series.push_back(std::move(bins));

  plot::Figure figure;
  figure.charts = {std::move(roc), std::move(reliability)};
  return plot::WriteFigurePng(figure, path);
}

}  // namespace eval
