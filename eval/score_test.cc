// Scoring: ScoreTracks equals a direct Forward + sigmoid, does not depend on the batch size
// or the thread count, runs concurrently on one model; softmax readout for two outputs;
// video and frame level pairing; JSON.
#include "eval/score.h"

#include <cmath>
#include <thread>
#include <vector>

#include "base/thread_pool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nn/layers/init.h"
#include "nn/models/presets.h"
#include "nn/testing/tensor_matchers.h"

namespace eval {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::Pointwise;

constexpr double kTolerance = 1e-6;

std::unique_ptr<nn::Detector> TinyModel(int num_outputs = 1) {
  nn::DetectorOptions options = nn::GetPreset("tiny")->detector;
  options.num_outputs = num_outputs;
  nn::SetInitSeed(11);
  auto model = std::make_unique<nn::Detector>(options);
  model->Eval();
  return model;
}

// Five tracks of 4 frames of 32x32, different per track.
std::vector<nn::Tensor> Tracks(int count = 5) {
  std::vector<nn::Tensor> tracks;
  for (int i = 0; i < count; ++i) {
    tracks.push_back(nn::testing::RandomNormal(nn::Shape({4, 3, 32, 32}), 100 + i, 1.0f));
  }
  return tracks;
}

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

TEST(ScoreTracksTest, EqualsDirectForwardAndSigmoid) {
  std::unique_ptr<nn::Detector> model = TinyModel();
  const std::vector<nn::Tensor> tracks = Tracks();
  const std::vector<TrackScore> scores = ScoreTracks(*model, tracks, 8);
  ASSERT_EQ(scores.size(), tracks.size());
  double lowest = 1, highest = 0;
  for (size_t i = 0; i < tracks.size(); ++i) {
    const nn::DetectorOutput direct =
        model->Forward(tracks[i].Reshape(nn::Shape({1, 4, 3, 32, 32})));
    EXPECT_EQ(scores[i].track_id, static_cast<int>(i));
    EXPECT_NEAR(scores[i].score, Sigmoid(direct.video_logits.data<float>()[0]), kTolerance);
    ASSERT_EQ(scores[i].frame_scores.size(), 4u);
    for (int t = 0; t < 4; ++t) {
      EXPECT_NEAR(scores[i].frame_scores[t], Sigmoid(direct.frame_logits.data<float>()[t]),
                  kTolerance);
    }
    lowest = std::min(lowest, scores[i].score);
    highest = std::max(highest, scores[i].score);
  }
  EXPECT_GT(highest - lowest, 1e-4) << "the tracks should not all score the same";
}

void ExpectSameScores(const std::vector<TrackScore>& a, const std::vector<TrackScore>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_NEAR(a[i].score, b[i].score, kTolerance) << "track " << i;
    EXPECT_THAT(a[i].frame_scores, Pointwise(DoubleNear(kTolerance), b[i].frame_scores));
  }
}

TEST(ScoreTracksTest, BatchSizeDoesNotChangeScores) {
  std::unique_ptr<nn::Detector> model = TinyModel();
  const std::vector<nn::Tensor> tracks = Tracks();
  ExpectSameScores(ScoreTracks(*model, tracks, 1), ScoreTracks(*model, tracks, 3));
  ExpectSameScores(ScoreTracks(*model, tracks, 1), ScoreTracks(*model, tracks, 5));
}

TEST(ScoreTracksTest, ThreadCountAndConcurrentCallersDoNotChangeScores) {
  std::unique_ptr<nn::Detector> model = TinyModel();
  const std::vector<nn::Tensor> tracks = Tracks();
  const int threads = base::GetNumThreads();
  base::SetNumThreads(1);
  const std::vector<TrackScore> one_thread = ScoreTracks(*model, tracks, 2);
  base::SetNumThreads(3);
  ExpectSameScores(ScoreTracks(*model, tracks, 2), one_thread);
  std::vector<std::vector<TrackScore>> concurrent(3);
  std::vector<std::thread> callers;
  for (auto& out : concurrent) {
    callers.emplace_back([&] { out = ScoreTracks(*model, tracks, 2); });
  }
  for (std::thread& caller : callers) caller.join();
  for (const auto& out : concurrent) ExpectSameScores(out, one_thread);
  base::SetNumThreads(threads);
}

TEST(ScoreTracksTest, TwoOutputsUseTheSoftmaxOfTheFakeOutput) {
  std::unique_ptr<nn::Detector> model = TinyModel(2);
  const std::vector<nn::Tensor> tracks = Tracks(3);
  const std::vector<TrackScore> fake0 = ScoreTracks(*model, tracks, 2, 0);
  const std::vector<TrackScore> fake1 = ScoreTracks(*model, tracks, 2, 1);
  for (size_t i = 0; i < tracks.size(); ++i) {
    const nn::DetectorOutput direct =
        model->Forward(tracks[i].Reshape(nn::Shape({1, 4, 3, 32, 32})));
    const float* logits = direct.video_logits.data<float>();
    // softmax entry 1 = sigmoid(l1 - l0)
    EXPECT_NEAR(fake1[i].score, Sigmoid(double{logits[1]} - logits[0]), kTolerance);
    EXPECT_NEAR(fake0[i].score + fake1[i].score, 1.0, kTolerance);
  }
  EXPECT_EQ(FakeOutputIndex(*nn::GetPreset("jadhav2020")), 0);
  EXPECT_EQ(FakeOutputIndex(*nn::GetPreset("tiny")), -1);
}

TEST(ScoreTracksTest, NoTracks) {
  std::unique_ptr<nn::Detector> model = TinyModel();
  EXPECT_TRUE(ScoreTracks(*model, {}, 4).empty());
}

TEST(ScoreTracksDeathTest, MixedShapesAreAProgrammerError) {
  std::unique_ptr<nn::Detector> model = TinyModel();
  std::vector<nn::Tensor> tracks = Tracks(2);
  tracks.push_back(nn::Tensor::Zeros(nn::Shape({3, 3, 32, 32})));
  EXPECT_DEATH(ScoreTracks(*model, tracks, 4),
               "track 2 is \\[3, 3, 32, 32\\], track 0 \\[4, 3, 32, 32\\]");
}

VideoScore Video(const std::string& path, int label, std::vector<TrackScore> tracks) {
  VideoScore video;
  video.path = path;
  video.label = label;
  video.tracks = std::move(tracks);
  SetVideoScore(&video);
  return video;
}

TEST(VideoScoreTest, MaximumOverTracks) {
  VideoScore video = Video("a.mp4", 1, {{0, 0.2, {0.1, 0.3}}, {1, 0.7, {0.6, 0.8}}});
  EXPECT_TRUE(video.scored);
  EXPECT_EQ(video.score, 0.7);
  VideoScore empty = Video("b.mp4", 0, {});
  EXPECT_FALSE(empty.scored);
}

TEST(VideoScoreTest, VideoAndFrameLevel) {
  std::vector<VideoScore> videos = {
      Video("fake.mp4", 1, {{0, 0.2, {0.1, 0.3}}, {1, 0.7, {0.6, 0.8}}}),
      Video("real.mp4", 0, {{0, 0.4, {0.35, 0.45}}}),
      Video("unlabelled.mp4", -1, {{0, 0.9, {0.9, 0.9}}}),
      Video("broken.mp4", 0, {}),
  };
  videos[3].error = "broken.mp4: no face found in any of 4 sampled frames";
  const LabelledScores video = VideoLevel(videos);
  EXPECT_THAT(video.scores, ElementsAre(0.7, 0.4));
  EXPECT_THAT(video.labels, ElementsAre(1, 0));
  const LabelledScores frame = FrameLevel(videos);
  EXPECT_THAT(frame.scores, ElementsAre(0.1, 0.3, 0.6, 0.8, 0.35, 0.45));
  EXPECT_THAT(frame.labels, ElementsAre(1, 1, 1, 1, 0, 0));

  const nlohmann::json scored = VideoScoreToJson(videos[0]);
  EXPECT_EQ(scored["path"], "fake.mp4");
  EXPECT_EQ(scored["label"], 1);
  EXPECT_EQ(scored["scored"], true);
  EXPECT_EQ(scored["score"], 0.7);
  EXPECT_EQ(scored["tracks"][1]["frame_scores"][1], 0.8);
  const nlohmann::json broken = VideoScoreToJson(videos[3]);
  EXPECT_EQ(broken["scored"], false);
  EXPECT_EQ(broken["error"], "broken.mp4: no face found in any of 4 sampled frames");
  EXPECT_FALSE(broken.contains("score"));
}

}  // namespace
}  // namespace eval
