// ScoreVideos on real clips: scores equal preprocessing + ScoreTracks done by hand, bad
// files are reported (not fatal) in input order, progress is reported per video, and the
// face cache and prefetching do not change a score.
#include "eval/score_videos.h"

#include <filesystem>
#include <fstream>

#include "base/testing/test_paths.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nn/layers/init.h"
#include "video/preprocess.h"

namespace eval {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kClipA[] = "video/testdata/retalking_face2_2s.mp4";
constexpr char kClipB[] = "video/testdata/retalking_face5_2s.mp4";

class ScoreVideosTest : public ::testing::Test {
 protected:
  ScoreVideosTest() : preset_(*nn::GetPreset("tiny")) {
    nn::SetInitSeed(3);
    model_ = std::make_unique<nn::Detector>(preset_.detector);
    model_->Eval();
    options_.landmark_model_path = base::testing::kLandmarkModelPath;
  }

  nn::ModelPreset preset_;
  std::unique_ptr<nn::Detector> model_;
  ScoreVideosOptions options_;
};

TEST_F(ScoreVideosTest, ScoresClipsAndReportsBadFilesInOrder) {
  const std::string text = base::testing::TestTempPath("notes.mp4");
  std::ofstream(text) << "not a video\n";
  const std::string missing = base::testing::TestTempPath("missing.mp4");
  const std::vector<LabelledVideo> videos = {{kClipA, 0}, {text, 1}, {kClipB, 1}, {missing, -1}};
  std::vector<ScoreVideosProgress> reports;
  std::vector<std::string> paths;
  const std::vector<VideoScore> scores =
      ScoreVideos(*model_, preset_, videos, options_, [&](const ScoreVideosProgress& p) {
        reports.push_back(p);
        paths.push_back(p.video->path);
      });
  ASSERT_EQ(scores.size(), 4u);
  for (size_t i = 0; i < videos.size(); ++i) {
    EXPECT_EQ(scores[i].path, videos[i].path);
    EXPECT_EQ(scores[i].label, videos[i].label);
  }
  EXPECT_TRUE(scores[0].scored) << scores[0].error;
  EXPECT_TRUE(scores[2].scored) << scores[2].error;
  EXPECT_FALSE(scores[1].scored);
  EXPECT_THAT(scores[1].error, StartsWith(text));
  EXPECT_FALSE(scores[3].scored);
  EXPECT_THAT(scores[3].error, HasSubstr(missing));

  // Each clip equals preprocessing + ScoreTracks by hand.
  video::PreprocessOptions preprocess = video::PreprocessOptionsForPreset(preset_);
  preprocess.landmark_model_path = base::testing::kLandmarkModelPath;
  for (int i : {0, 2}) {
    absl::StatusOr<video::PreprocessedVideo> preprocessed =
        video::PreprocessVideo(videos[i].path, preset_.preprocessing, preprocess);
    ASSERT_TRUE(preprocessed.ok()) << preprocessed.status();
    ASSERT_EQ(scores[i].tracks.size(), preprocessed->tracks.size());
    std::vector<nn::Tensor> faces;
    for (const auto& track : preprocessed->tracks) faces.push_back(track.faces);
    const std::vector<TrackScore> direct = ScoreTracks(*model_, faces, 1);
    double maximum = 0;
    for (size_t t = 0; t < direct.size(); ++t) {
      EXPECT_EQ(scores[i].tracks[t].track_id, preprocessed->tracks[t].track.id);
      EXPECT_NEAR(scores[i].tracks[t].score, direct[t].score, 1e-6);
      EXPECT_EQ(scores[i].tracks[t].frame_scores.size(), 4u);
      maximum = std::max(maximum, direct[t].score);
    }
    EXPECT_NEAR(scores[i].score, maximum, 1e-6);
  }

  ASSERT_EQ(reports.size(), 4u);
  EXPECT_EQ(paths, (std::vector<std::string>{kClipA, text, kClipB, missing}));
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(reports[i].done, i + 1);
    EXPECT_EQ(reports[i].total, 4);
  }
  EXPECT_EQ(reports[0].not_scored, 0);
  EXPECT_EQ(reports[1].not_scored, 1);
  EXPECT_EQ(reports[3].not_scored, 2);
  EXPECT_EQ(reports[3].eta_seconds, 0);
}

TEST_F(ScoreVideosTest, CacheAndPrefetchDoNotChangeScores) {
  const std::vector<LabelledVideo> videos = {{kClipA, 0}, {kClipB, 1}};
  options_.prefetch = false;
  const std::vector<VideoScore> plain = ScoreVideos(*model_, preset_, videos, options_);
  options_.prefetch = true;
  options_.cache_dir = base::testing::TestTempDir("cache");
  const std::vector<VideoScore> filled = ScoreVideos(*model_, preset_, videos, options_);
  const std::vector<VideoScore> cached = ScoreVideos(*model_, preset_, videos, options_);
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(options_.cache_dir)) {
    entries += entry.is_regular_file();
  }
  EXPECT_EQ(entries, 2);
  for (size_t i = 0; i < videos.size(); ++i) {
    ASSERT_TRUE(plain[i].scored) << plain[i].error;
    EXPECT_EQ(filled[i].score, plain[i].score);
    EXPECT_EQ(cached[i].score, plain[i].score);
    EXPECT_EQ(cached[i].tracks.size(), plain[i].tracks.size());
  }
}

}  // namespace
}  // namespace eval
