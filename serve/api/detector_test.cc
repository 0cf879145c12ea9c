// serve::Detector on real files: a random-weight tiny checkpoint, the committed fixture clips
// (160 px faces), videos written here (faceless, truncated, not a video). Probabilities are
// checked against a computation without serve/ (PreprocessVideo + Forward + sigmoid).
#include "serve/api/detector.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/sha256.h"
#include "base/testing/test_paths.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nn/io/checkpoint.h"
#include "serve/api/testing/test_model.h"
#include "video/sampling.h"

namespace serve {
namespace {

using ::testing::DoubleEq;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr char kRealClip[] = "train/testdata/videos/real_retalking_face2.mp4";
constexpr char kFakeClip[] = "train/testdata/videos/fake_retalking_face2.mp4";

DetectorOptions TestOptions() {
  DetectorOptions options;
  options.device = "cpu";
  options.landmark_model_path = base::testing::kLandmarkModelPath;
  options.thumbnail_size = 16;
  return options;
}

class DetectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_path_ = new std::string(
        testing::WriteRandomModel(base::testing::TestTempPath("tiny.safetensors")));
  }
  static std::unique_ptr<Detector> LoadOrDie(const DetectorOptions& options = TestOptions()) {
    absl::StatusOr<std::unique_ptr<Detector>> detector = Detector::Load(*model_path_, options);
    EXPECT_TRUE(detector.ok()) << detector.status();
    return detector.ok() ? *std::move(detector) : nullptr;
  }
  static std::string* model_path_;
};
std::string* DetectorTest::model_path_ = nullptr;

// P(fake) per track of `clip`, without serve/: the preset's preprocessing, Forward, sigmoid.
std::vector<double> DirectTrackScores(const std::string& model_path, const std::string& clip) {
  const nn::ModelPreset tiny = *nn::GetPreset("tiny");
  nn::Detector model(tiny.detector);
  EXPECT_TRUE(nn::io::LoadCheckpoint(model_path, &model).ok());
  model.Eval();
  video::PreprocessOptions options = video::PreprocessOptionsForPreset(tiny);
  options.landmark_model_path = base::testing::kLandmarkModelPath;
  absl::StatusOr<video::PreprocessedVideo> faces =
      video::PreprocessVideo(clip, tiny.preprocessing, options);
  EXPECT_TRUE(faces.ok()) << faces.status();
  std::vector<double> scores;
  if (!faces.ok()) return scores;
  for (const video::PreprocessedTrack& track : faces->tracks) {
    const nn::Tensor x = track.faces.Reshape(nn::Shape({1, 4, 3, 32, 32}));
    const double logit = model.Forward(x).video_logits.data<float>()[0];
    scores.push_back(1 / (1 + std::exp(-logit)));
  }
  return scores;
}

// The progress hook hears the stages in order with non-decreasing fractions, and the
// result is the same as without it.
TEST_F(DetectorTest, ProgressReportsTheStagesInOrder) {
  std::unique_ptr<Detector> detector = LoadOrDie();
  ASSERT_NE(detector, nullptr);
  std::vector<std::string> stages;
  std::vector<double> fractions;
  DetectOptions options;
  options.explain = true;
  options.progress = [&](std::string_view stage, double fraction) {
    if (stages.empty() || stages.back() != stage) stages.emplace_back(stage);
    fractions.push_back(fraction);
    return true;
  };
  const DetectionResult with = detector->Detect(kRealClip, options);
  EXPECT_EQ(stages, (std::vector<std::string>{"decoding", "faces", "scoring", "explaining"}));
  EXPECT_TRUE(std::is_sorted(fractions.begin(), fractions.end()));
  EXPECT_GE(fractions.front(), 0);
  EXPECT_LT(fractions.back(), 1);
  options.progress = nullptr;
  const DetectionResult without = detector->Detect(kRealClip, options);
  EXPECT_EQ(with.verdict, without.verdict);
  EXPECT_EQ(with.fake_probability, without.fake_probability);
}

// Returning false, or setting the cancel flag, stops the analysis: UNDETERMINED, canceled.
TEST_F(DetectorTest, ProgressOrTheFlagCancels) {
  std::unique_ptr<Detector> detector = LoadOrDie();
  ASSERT_NE(detector, nullptr);
  for (const char* stop_at : {"decoding", "faces", "scoring"}) {
    std::vector<std::string> heard;
    DetectOptions options;
    options.progress = [&](std::string_view stage, double) {
      heard.emplace_back(stage);
      return stage != stop_at;
    };
    const DetectionResult r = detector->Detect(kRealClip, options);
    EXPECT_EQ(r.verdict, Verdict::kUndetermined) << stop_at;
    EXPECT_EQ(r.reason, UndeterminedReason::kCanceled) << stop_at;
    EXPECT_STREQ(ReasonCode(r.reason), "canceled");
    EXPECT_EQ(r.message, std::string(kRealClip) + ": analysis canceled");
    EXPECT_TRUE(r.tracks.empty());
    EXPECT_EQ(heard.back(), stop_at);  // nothing is reported after the refusal
  }
  std::atomic<bool> cancel{true};
  DetectOptions options;
  options.cancel = &cancel;
  const DetectionResult r = detector->Detect(kRealClip, options);
  EXPECT_EQ(r.reason, UndeterminedReason::kCanceled);
}

TEST_F(DetectorTest, DetectsARealClip) {
  std::unique_ptr<Detector> detector = LoadOrDie();
  ASSERT_NE(detector, nullptr);
  const DetectionResult r = detector->Detect(kRealClip);
  ASSERT_NE(r.verdict, Verdict::kUndetermined) << r.message;
  EXPECT_EQ(r.reason, UndeterminedReason::kNone);
  EXPECT_EQ(r.message, "");
  EXPECT_EQ(r.path, kRealClip);
  EXPECT_EQ(r.decision_rule, "any_face");
  EXPECT_EQ(r.threshold, 0.5);

  const std::vector<double> direct = DirectTrackScores(*model_path_, kRealClip);
  ASSERT_THAT(r.tracks, SizeIs(direct.size()));
  ASSERT_FALSE(r.tracks.empty());
  double best = -1;
  for (size_t i = 0; i < r.tracks.size(); ++i) {
    const TrackResult& t = r.tracks[i];
    EXPECT_NEAR(t.fake_probability, direct[i], 1e-6);
    EXPECT_EQ(t.fake, t.fake_probability >= 0.5);
    EXPECT_GT(t.num_detections, 0);
    EXPECT_GT(t.median_face_size, 0);
    ASSERT_THAT(t.frames, SizeIs(4));  // tiny: 4 frames
    ASSERT_THAT(t.thumbnails, SizeIs(4));
    EXPECT_TRUE(t.heatmaps.empty());
    for (size_t f = 0; f < t.frames.size(); ++f) {
      const TrackFrame& frame = t.frames[f];
      if (f > 0) {
        EXPECT_GT(frame.frame_index, t.frames[f - 1].frame_index);
      }
      EXPECT_GT(frame.box.width(), 0);
      EXPECT_LE(frame.box.right, r.video.width + 1);
      // tiny's readout is the mean of per-frame logits: every frame has a score.
      EXPECT_GE(frame.score, 0);
      EXPECT_LE(frame.score, 1);
      EXPECT_EQ(t.thumbnails[f].width, 16);
      EXPECT_EQ(t.thumbnails[f].height, 16);
      EXPECT_THAT(t.thumbnails[f].rgb, SizeIs(16 * 16 * 3));
    }
    if (t.fake_probability > best) {
      best = t.fake_probability;
      EXPECT_EQ(r.deciding_track, t.track_id);
    }
  }
  EXPECT_THAT(r.fake_probability, DoubleEq(best));
  EXPECT_EQ(r.verdict, best >= 0.5 ? Verdict::kFake : Verdict::kReal);

  const VideoFacts& v = r.video;
  EXPECT_EQ(v.path, kRealClip);
  EXPECT_EQ(v.sha256, *base::Sha256FileHex(kRealClip));
  EXPECT_EQ(v.size_bytes, static_cast<int64_t>(std::filesystem::file_size(kRealClip)));
  EXPECT_EQ(v.codec, "h264");
  EXPECT_THAT(v.container, HasSubstr("mp4"));
  EXPECT_GT(v.duration_seconds, 0);
  EXPECT_GT(v.frame_rate, 0);
  EXPECT_GT(v.width, 0);
  EXPECT_GT(v.height, 0);
  EXPECT_EQ(v.frames_sampled, 4);

  const ModelFacts& m = r.model;
  EXPECT_EQ(m.name, "tiny.safetensors");
  EXPECT_EQ(m.path, *model_path_);
  EXPECT_EQ(m.preset, "tiny");
  EXPECT_EQ(m.sha256, *base::Sha256FileHex(*model_path_));
  EXPECT_EQ(m.device, "cpu");
  EXPECT_EQ(m.frames, 4);
  EXPECT_EQ(m.image_size, 32);
  EXPECT_EQ(m.threshold_method, "default");

  EXPECT_GT(r.times.decode, 0);
  EXPECT_GT(r.times.model, 0);
  EXPECT_GE(r.times.total, r.times.model);
  EXPECT_EQ(r.times.explain, 0);
}

TEST_F(DetectorTest, OptionsApplyToThePresetAndThreshold) {
  DetectorOptions options = TestOptions();
  options.frames = 3;
  options.sampling = "first";
  options.threshold = 0.25;
  options.thumbnail_size = 0;
  std::unique_ptr<Detector> detector = LoadOrDie(options);
  ASSERT_NE(detector, nullptr);
  EXPECT_EQ(detector->preset().preprocessing.frames, 3);
  EXPECT_EQ(detector->preset().faces.sampling, nn::FrameSampling::kFirstConsecutive);
  EXPECT_EQ(detector->preprocess_options().sampling.strategy,
            nn::FrameSampling::kFirstConsecutive);
  EXPECT_EQ(detector->threshold(), 0.25);
  EXPECT_EQ(detector->model().threshold_method, "flag");
  EXPECT_EQ(detector->model().frames, 3);

  const DetectionResult r = detector->Detect(kFakeClip);
  ASSERT_NE(r.verdict, Verdict::kUndetermined) << r.message;
  EXPECT_EQ(r.threshold, 0.25);
  for (const TrackResult& t : r.tracks) {
    ASSERT_THAT(t.frames, SizeIs(3));
    EXPECT_TRUE(t.thumbnails.empty());
    // The first 3 consecutive frames.
    for (int f = 0; f < 3; ++f) EXPECT_EQ(t.frames[f].frame_index, f);
  }
  EXPECT_EQ(r.verdict, r.fake_probability >= 0.25 ? Verdict::kFake : Verdict::kReal);

  options.sampling = "every";
  options.every_k = 2;
  detector = LoadOrDie(options);
  ASSERT_NE(detector, nullptr);
  const DetectionResult every = detector->Detect(kFakeClip);
  ASSERT_NE(every.verdict, Verdict::kUndetermined) << every.message;
  for (int f = 0; f < 3; ++f) EXPECT_EQ(every.tracks[0].frames[f].frame_index, 2 * f);
}

TEST_F(DetectorTest, DetectFramesEqualsDetectOnTheSameFrames) {
  std::unique_ptr<Detector> detector = LoadOrDie();
  ASSERT_NE(detector, nullptr);
  video::SamplingOptions sampling = detector->preprocess_options().sampling;
  sampling.num_frames = detector->preset().preprocessing.frames;
  absl::StatusOr<std::vector<video::Frame>> frames = video::SampleFrames(kRealClip, sampling);
  ASSERT_TRUE(frames.ok()) << frames.status();
  const DetectionResult from_frames = detector->DetectFrames("webcam", *frames);
  const DetectionResult from_file = detector->Detect(kRealClip);
  ASSERT_NE(from_frames.verdict, Verdict::kUndetermined) << from_frames.message;
  EXPECT_EQ(from_frames.path, "webcam");
  EXPECT_EQ(from_frames.video.sha256, "");
  EXPECT_EQ(from_frames.video.frames_sampled, 4);
  EXPECT_EQ(from_frames.fake_probability, from_file.fake_probability);
  ASSERT_EQ(from_frames.tracks.size(), from_file.tracks.size());
  for (size_t i = 0; i < from_file.tracks.size(); ++i) {
    EXPECT_EQ(from_frames.tracks[i].fake_probability, from_file.tracks[i].fake_probability);
  }

  const DetectionResult too_few = detector->DetectFrames("webcam", {frames->front()});
  EXPECT_EQ(too_few.verdict, Verdict::kUndetermined);
  EXPECT_EQ(too_few.reason, UndeterminedReason::kTooFewFrames);
  EXPECT_THAT(too_few.message, StartsWith("webcam: only 1 decodable frame"));
}

TEST_F(DetectorTest, ScoreFaceTracksMatchesDetect) {
  std::unique_ptr<Detector> detector = LoadOrDie();
  ASSERT_NE(detector, nullptr);
  absl::StatusOr<video::PreprocessedVideo> faces = video::PreprocessVideo(
      kRealClip, detector->preset().preprocessing, detector->preprocess_options());
  ASSERT_TRUE(faces.ok()) << faces.status();
  std::vector<nn::Tensor> tracks;
  for (const auto& t : faces->tracks) tracks.push_back(t.faces);
  const std::vector<Detector::TrackScores> scores = detector->ScoreFaceTracks(tracks);
  const DetectionResult r = detector->Detect(kRealClip);
  ASSERT_EQ(scores.size(), r.tracks.size());
  for (size_t i = 0; i < scores.size(); ++i) {
    EXPECT_EQ(scores[i].fake_probability, r.tracks[i].fake_probability);
    ASSERT_THAT(scores[i].frame_scores, SizeIs(4));
    for (int f = 0; f < 4; ++f) EXPECT_EQ(scores[i].frame_scores[f], r.tracks[i].frames[f].score);
  }
}

// What cross-video batching relies on: a track's scores do not depend on the other tracks
// in its Forward (tiny and small presets; several videos' tracks together vs alone).
TEST_F(DetectorTest, TrackScoresDoNotDependOnTheirBatch) {
  for (const std::string preset : {"tiny", "small"}) {
    const std::string path = testing::WriteRandomModel(
        base::testing::TestTempPath(preset + "_batch.safetensors"), preset, 11);
    DetectorOptions options = TestOptions();
    options.batch_size = 16;
    absl::StatusOr<std::unique_ptr<Detector>> detector = Detector::Load(path, options);
    ASSERT_TRUE(detector.ok()) << detector.status();
    std::vector<nn::Tensor> all;
    std::vector<double> alone;
    for (const char* clip : {kRealClip, kFakeClip, "train/testdata/videos/real_liveportrait_d3.mp4"}) {
      absl::StatusOr<video::PreprocessedVideo> faces = video::PreprocessVideo(
          clip, (*detector)->preset().preprocessing, (*detector)->preprocess_options());
      ASSERT_TRUE(faces.ok()) << faces.status();
      std::vector<nn::Tensor> tracks;
      for (const auto& t : faces->tracks) tracks.push_back(t.faces);
      for (const auto& s : (*detector)->ScoreFaceTracks(tracks)) alone.push_back(s.fake_probability);
      all.insert(all.end(), tracks.begin(), tracks.end());
    }
    const std::vector<Detector::TrackScores> together = (*detector)->ScoreFaceTracks(all);
    ASSERT_EQ(together.size(), alone.size());
    ASSERT_GE(together.size(), 3u);
    for (size_t i = 0; i < alone.size(); ++i) {
      EXPECT_EQ(together[i].fake_probability, alone[i]) << preset << " track " << i;
    }
  }
}

TEST_F(DetectorTest, BatchEqualsDetectAndReportsInOrder) {
  std::unique_ptr<Detector> detector = LoadOrDie();
  ASSERT_NE(detector, nullptr);
  const std::string missing = base::testing::TestTempPath("absent.mp4");
  const std::vector<std::string> paths = {kRealClip, missing, kFakeClip, kRealClip};
  std::vector<int> done;
  DetectOptions shared;  // tracks of several videos share Forwards (the CPU default is off)
  shared.cross_video_batching = 1;
  const std::vector<DetectionResult> batch =
      detector->DetectBatch(paths, shared, [&](const BatchProgress& p) {
        done.push_back(p.done);
        EXPECT_EQ(p.total, 4);
        ASSERT_NE(p.result, nullptr);
        EXPECT_EQ(p.result->path, paths[p.done - 1]);
        EXPECT_EQ(p.undetermined, p.done >= 2 ? 1 : 0);
      });
  EXPECT_THAT(done, ::testing::ElementsAre(1, 2, 3, 4));
  ASSERT_THAT(batch, SizeIs(4));
  for (size_t i = 0; i < paths.size(); ++i) {
    const DetectionResult single = detector->Detect(paths[i]);
    EXPECT_EQ(batch[i].path, paths[i]);
    EXPECT_EQ(batch[i].verdict, single.verdict) << paths[i];
    EXPECT_EQ(batch[i].reason, single.reason) << paths[i];
    EXPECT_EQ(batch[i].fake_probability, single.fake_probability) << paths[i];
    ASSERT_EQ(batch[i].tracks.size(), single.tracks.size());
    for (size_t t = 0; t < single.tracks.size(); ++t) {
      EXPECT_EQ(batch[i].tracks[t].fake_probability, single.tracks[t].fake_probability);
      for (size_t f = 0; f < single.tracks[t].frames.size(); ++f) {
        EXPECT_EQ(batch[i].tracks[t].frames[f].score, single.tracks[t].frames[f].score);
      }
    }
  }
  EXPECT_EQ(batch[1].reason, UndeterminedReason::kUnreadable);

  // One video per Forward (and the default) gives the same.
  DetectOptions per_video;
  per_video.cross_video_batching = 0;
  const std::vector<DetectionResult> separate = detector->DetectBatch(paths, per_video);
  ASSERT_THAT(separate, SizeIs(4));
  for (size_t i = 0; i < paths.size(); ++i) {
    EXPECT_EQ(separate[i].fake_probability, batch[i].fake_probability);
  }
  const std::vector<DetectionResult> by_default = detector->DetectBatch(paths);
  for (size_t i = 0; i < paths.size(); ++i) {
    EXPECT_EQ(by_default[i].fake_probability, batch[i].fake_probability);
  }
  EXPECT_TRUE(detector->DetectBatch({}).empty());
}

}  // namespace
}  // namespace serve
