// Evaluation reports on hand-computed cases: counts and metrics at the threshold, NaN as
// null when a class is missing, the console text, the CSV (quoting, verdicts, unscored
// rows) byte for byte, and the ROC figure as a PNG of the expected size.
#include "eval/evaluate.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "base/testing/test_paths.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eval {
namespace {

using ::testing::HasSubstr;

VideoScore Video(const std::string& path, int label, double score,
                 std::vector<double> frame_scores) {
  VideoScore video;
  video.path = path;
  video.label = label;
  video.tracks = {{0, score, std::move(frame_scores)}};
  SetVideoScore(&video);
  return video;
}

VideoScore Unscored(const std::string& path, int label, const std::string& error) {
  VideoScore video;
  video.path = path;
  video.label = label;
  video.error = error;
  return video;
}

// Two fakes (0.9, 0.6), two reals (0.3, 0.7), one video that could not be analysed.
std::vector<VideoScore> Sample() {
  return {Video("fake1.mp4", 1, 0.9, {0.8, 1.0}), Video("fake2.mp4", 1, 0.6, {0.6, 0.6}),
          Video("real1.mp4", 0, 0.3, {0.2, 0.4}), Video("real2.mp4", 0, 0.7, {0.1, 0.7}),
          Unscored("broken.mp4", 1, "broken.mp4: no face found in any of 4 sampled frames")};
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

TEST(SummarizeTest, HandComputedMetrics) {
  const EvaluationSummary summary = Summarize(Sample(), 0.5);
  EXPECT_EQ(summary.videos, 5);
  EXPECT_EQ(summary.scored, 4);
  EXPECT_EQ(summary.not_scored, 1);
  EXPECT_EQ(summary.video.num_fake, 2);
  EXPECT_EQ(summary.video.num_real, 2);
  // Fake > real in 3 of 4 pairs (0.6 < 0.7).
  EXPECT_DOUBLE_EQ(summary.video.auc, 0.75);
  // At 0.5: both fakes caught, real2 (0.7) is a false alarm.
  EXPECT_DOUBLE_EQ(summary.video.accuracy, 0.75);
  EXPECT_EQ(summary.video.counts.true_fake, 2);
  EXPECT_EQ(summary.video.counts.false_fake, 1);
  EXPECT_EQ(summary.video.counts.true_real, 1);
  EXPECT_EQ(summary.video.counts.false_real, 0);
  // Frames: fakes 0.8 1.0 0.6 0.6, reals 0.2 0.4 0.1 0.7; fake > real in 14 of 16 pairs
  // (0.6 < 0.7 twice).
  EXPECT_EQ(summary.frame.num_fake, 4);
  EXPECT_EQ(summary.frame.num_real, 4);
  EXPECT_DOUBLE_EQ(summary.frame.auc, 14.0 / 16.0);
  // ECE over the 4 video scores, 15 bins, one score per bin: mean |score - label|
  // = (0.1 + 0.4 + 0.3 + 0.7) / 4.
  EXPECT_NEAR(summary.calibration.expected_calibration_error, 1.5 / 4, 1e-12);
}

TEST(SummarizeTest, JsonAndTextWithAMissingClass) {
  std::vector<VideoScore> fakes_only = {Video("a.mp4", 1, 0.9, {0.9}),
                                        Video("b.mp4", 1, 0.2, {0.2})};
  const EvaluationSummary summary = Summarize(fakes_only, 0.5);
  EXPECT_TRUE(std::isnan(summary.video.auc));
  const nlohmann::json json = SummaryToJson(summary);
  EXPECT_TRUE(json["video"]["auc"].is_null());
  EXPECT_EQ(json["videos"], 2);
  EXPECT_EQ(json["video"]["num_fake"], 2);
  EXPECT_EQ(json["calibration"]["bins"].size(), 15u);
  const std::string text = SummaryText(summary);
  EXPECT_THAT(text, HasSubstr("AUC n/a"));
  EXPECT_THAT(text, HasSubstr("videos: 2, scored 2, could not be analysed 0"));
}

TEST(SummarizeTest, Text) {
  const std::string text = SummaryText(Summarize(Sample(), 0.5));
  EXPECT_THAT(text, HasSubstr("videos: 5, scored 4, could not be analysed 1"));
  EXPECT_THAT(text, HasSubstr("video level (2 real, 2 fake videos): AUC 0.7500"));
  EXPECT_THAT(text, HasSubstr("at threshold 0.5000: accuracy 0.7500"));
  EXPECT_THAT(text, HasSubstr("frame level (4 real, 4 fake frames): AUC 0.8750"));
  EXPECT_THAT(text, HasSubstr("expected calibration error 0.3750 (15 bins)"));
}

TEST(PerVideoCsvTest, QuotingVerdictsAndUnscoredRows) {
  std::vector<VideoScore> videos = Sample();
  videos[0].path = "dir/with,comma \"quoted\".mp4";
  videos[4].error = "broken.mp4: no face, not even one";
  const std::string path = base::testing::TestTempPath("per_video.csv");
  ASSERT_TRUE(WritePerVideoCsv(videos, 0.65, path).ok());
  EXPECT_EQ(ReadFile(path),
            "path,label,score,verdict,tracks,error\n"
            "\"dir/with,comma \"\"quoted\"\".mp4\",FAKE,0.900000,FAKE,1,\n"
            "fake2.mp4,FAKE,0.600000,REAL,1,\n"
            "real1.mp4,REAL,0.300000,REAL,1,\n"
            "real2.mp4,REAL,0.700000,FAKE,1,\n"
            "broken.mp4,FAKE,,UNDETERMINED,0,\"broken.mp4: no face, not even one\"\n");
}

TEST(PerVideoCsvTest, UnwritablePathIsNamed) {
  const absl::Status status = WritePerVideoCsv(Sample(), 0.5, "/nonexistent/dir/per_video.csv");
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("/nonexistent/dir/per_video.csv"));
}

TEST(RocPngTest, WritesTwoPanels) {
  const std::string path = base::testing::TestTempPath("roc.png");
  ASSERT_TRUE(WriteRocPng(Sample(), "ROC: test", path).ok());
  const std::string png = ReadFile(path);
  ASSERT_GT(png.size(), 24u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  auto be32 = [&](size_t offset) {
    return (uint32_t{static_cast<uint8_t>(png[offset])} << 24) |
           (uint32_t{static_cast<uint8_t>(png[offset + 1])} << 16) |
           (uint32_t{static_cast<uint8_t>(png[offset + 2])} << 8) |
           uint32_t{static_cast<uint8_t>(png[offset + 3])};
  };
  EXPECT_EQ(be32(16), 2u * 640u);  // IHDR width: ROC + reliability panels
  EXPECT_EQ(be32(20), 480u);
}

}  // namespace
}  // namespace eval
