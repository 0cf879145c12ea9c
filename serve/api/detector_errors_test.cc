// What cannot be analysed: Detect never fails but says UNDETERMINED with a reason and a
// message naming the file (a faceless video, a missing, empty, truncated or non-video
// file), and Load's errors name the model file (missing, truncated, not a checkpoint,
// mismatched preset) or the bad option. The videos are written here.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/testing/test_paths.h"
#include "eval/model_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nn/io/checkpoint.h"
#include "nn/layers/init.h"
#include "serve/api/detector.h"
#include "serve/api/testing/test_model.h"
#include "video/testing/synthetic_clips.h"

namespace serve {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kRealClip[] = "train/testdata/videos/real_retalking_face2.mp4";

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

DetectorOptions TestOptions() {
  DetectorOptions options;
  options.device = "cpu";
  options.landmark_model_path = base::testing::kLandmarkModelPath;
  return options;
}

class DetectorErrorsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_path_ = new std::string(
        testing::WriteRandomModel(base::testing::TestTempPath("tiny.safetensors")));
    detector_ = Detector::Load(*model_path_, TestOptions())->release();
  }
  static void ExpectUndetermined(const DetectionResult& r, const std::string& path,
                                 UndeterminedReason reason) {
    EXPECT_EQ(r.path, path);
    EXPECT_EQ(r.verdict, Verdict::kUndetermined);
    EXPECT_EQ(ReasonCode(r.reason), std::string(ReasonCode(reason))) << r.message;
    EXPECT_THAT(r.message, StartsWith(path + ": "));
    EXPECT_EQ(r.fake_probability, -1);
    EXPECT_EQ(r.deciding_track, -1);
    EXPECT_TRUE(r.tracks.empty());
    EXPECT_EQ(r.model.preset, "tiny");  // the model's facts are there all the same
    EXPECT_GT(r.times.total, 0);
  }
  static std::string* model_path_;
  static Detector* detector_;
};
std::string* DetectorErrorsTest::model_path_ = nullptr;
Detector* DetectorErrorsTest::detector_ = nullptr;

TEST_F(DetectorErrorsTest, FacelessVideoHasNoFace) {
  const std::string path = base::testing::TestTempPath("pattern.mp4");
  video::testing::SyntheticClipOptions clip;  // the test pattern, 160x120, 25 frames
  ASSERT_TRUE(video::testing::WriteSyntheticClip(path, clip).ok());
  const DetectionResult r = detector_->Detect(path);
  ExpectUndetermined(r, path, UndeterminedReason::kNoFace);
  EXPECT_EQ(r.message, path + ": no face found in any of 4 sampled frames");
  // The file's facts are reported even so.
  EXPECT_EQ(r.video.codec, "h264");
  EXPECT_EQ(r.video.width, 160);
  EXPECT_EQ(r.video.height, 120);
  EXPECT_NEAR(r.video.duration_seconds, 1.0, 0.05);
  EXPECT_EQ(r.video.sha256.size(), 64u);
}

TEST_F(DetectorErrorsTest, MissingFileIsUnreadable) {
  const std::string path = base::testing::TestTempPath("absent.mp4");
  const DetectionResult r = detector_->Detect(path);
  ExpectUndetermined(r, path, UndeterminedReason::kUnreadable);
  EXPECT_EQ(r.message, path + ": no such file");
  EXPECT_EQ(r.video.sha256, "");
}

TEST_F(DetectorErrorsTest, EmptyFileIsUnreadable) {
  const std::string path = base::testing::TestTempPath("empty.mp4");
  WriteFile(path, "");
  const DetectionResult r = detector_->Detect(path);
  ExpectUndetermined(r, path, UndeterminedReason::kUnreadable);
  EXPECT_EQ(r.message, path + ": file is empty");
}

TEST_F(DetectorErrorsTest, TextFileIsUnreadable) {
  const std::string path = base::testing::TestTempPath("notes.mp4");  // the name lies
  WriteFile(path, "these are meeting notes, not a video\n");
  const DetectionResult r = detector_->Detect(path);
  ExpectUndetermined(r, path, UndeterminedReason::kUnreadable);
  EXPECT_THAT(r.message, HasSubstr("not a video format"));
}

TEST_F(DetectorErrorsTest, DirectoryIsUnreadable) {
  const std::string path = base::testing::TestTempDir("folder.mp4");
  const DetectionResult r = detector_->Detect(path);
  ExpectUndetermined(r, path, UndeterminedReason::kUnreadable);
}

TEST_F(DetectorErrorsTest, TruncatedMp4IsDamaged) {
  // The fixture's index (moov) is at its end: the first half is an MP4 without one.
  const std::string bytes = ReadFile(kRealClip);
  ASSERT_GT(bytes.size(), 1000u);
  const std::string path = base::testing::TestTempPath("truncated.mp4");
  WriteFile(path, bytes.substr(0, bytes.size() / 2));
  const DetectionResult r = detector_->Detect(path);
  ExpectUndetermined(r, path, UndeterminedReason::kDamaged);
}

TEST_F(DetectorErrorsTest, CorruptStreamNeverFails) {
  // Garbage over the middle of the coded frames: decodes what it can; whatever the verdict,
  // the damage is named (a warning or an UNDETERMINED reason) and nothing crashes.
  std::string bytes = ReadFile(kRealClip);
  const size_t mdat = bytes.find("mdat");
  ASSERT_NE(mdat, std::string::npos);
  for (size_t i = mdat + 200; i < mdat + 2200 && i < bytes.size(); ++i) {
    bytes[i] = static_cast<char>((i * 131) & 0xff);
  }
  const std::string path = base::testing::TestTempPath("corrupt.mp4");
  WriteFile(path, bytes);
  const DetectionResult r = detector_->Detect(path);
  if (r.verdict == Verdict::kUndetermined) {
    EXPECT_THAT(r.message, StartsWith(path + ": "));
    EXPECT_NE(r.reason, UndeterminedReason::kNone);
  } else {
    ASSERT_FALSE(r.video.warnings.empty());
    EXPECT_THAT(r.video.warnings.front(), StartsWith(path));
  }
}

TEST_F(DetectorErrorsTest, LoadMissingModel) {
  const std::string path = base::testing::TestTempPath("absent.safetensors");
  absl::StatusOr<std::unique_ptr<Detector>> d = Detector::Load(path, TestOptions());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(d.status().message(), path + ": no such model file");
}

TEST_F(DetectorErrorsTest, LoadTruncatedModel) {
  const std::string path = base::testing::TestTempPath("truncated.safetensors");
  const std::string bytes = ReadFile(*model_path_);
  WriteFile(path, bytes.substr(0, bytes.size() - 100));
  absl::StatusOr<std::unique_ptr<Detector>> d = Detector::Load(path, TestOptions());
  EXPECT_FALSE(d.ok());
  EXPECT_THAT(std::string(d.status().message()), StartsWith(path + ": "));
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("truncated"));
}

TEST_F(DetectorErrorsTest, LoadNotACheckpoint) {
  const std::string path = base::testing::TestTempPath("video.safetensors");
  WriteFile(path, ReadFile(kRealClip));
  absl::StatusOr<std::unique_ptr<Detector>> d = Detector::Load(path, TestOptions());
  EXPECT_FALSE(d.ok());
  EXPECT_THAT(std::string(d.status().message()),
              StartsWith(path + ": not a valid safetensors file"));
}

TEST_F(DetectorErrorsTest, LoadMismatchedPreset) {
  // A `small` model's weights labelled `tiny`.
  const std::string path = base::testing::TestTempPath("mislabelled.safetensors");
  nn::SetInitSeed(1);
  nn::Detector small(nn::GetPreset("small")->detector);
  ASSERT_TRUE(nn::io::SaveCheckpoint(
                  path, small, eval::MetadataForModel(*nn::GetPreset("tiny"), {}, 1))
                  .ok());
  absl::StatusOr<std::unique_ptr<Detector>> d = Detector::Load(path, TestOptions());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), StartsWith(path + ": does not match the model"));
}

TEST_F(DetectorErrorsTest, LoadBadOptions) {
  struct Case {
    DetectorOptions options;
    std::string message;
  };
  std::vector<Case> cases(9, {TestOptions(), ""});
  cases[0].options.device = "tpu";
  cases[0].message = "device: unknown device 'tpu' (allowed: cpu, cuda, auto)";
  cases[1].options.frames = -1;
  cases[1].message = "frames must be >= 0 (got -1)";
  cases[2].options.sampling = "random";
  cases[2].message = "sampling: unknown frame sampling 'random' (allowed: uniform, evenly, first, every)";
  cases[3].options.every_k = 0;
  cases[3].message = "every_k must be >= 1 (got 0)";
  cases[4].options.threshold = 1.5;
  cases[4].message = "threshold must be in [0, 1] (or < 0 for the checkpoint's; got 1.5)";
  cases[5].options.batch_size = 0;
  cases[5].message = "batch_size must be >= 1 (got 0)";
  cases[6].options.thumbnail_size = -2;
  cases[6].message = "thumbnail_size must be 0 to 1024 (got -2)";
  cases[7].options.landmark_model_path = base::testing::TestTempPath("absent.dat");
  cases[7].message = cases[7].options.landmark_model_path;
  cases[8].options.face_detector = "haar";
  cases[8].message = "face_detector: unknown face detector 'haar'; known: hog, cnn, auto";
  for (const Case& c : cases) {
    absl::StatusOr<std::unique_ptr<Detector>> d = Detector::Load(*model_path_, c.options);
    ASSERT_FALSE(d.ok()) << c.message;
    EXPECT_THAT(std::string(d.status().message()), StartsWith(c.message));
  }
  DetectorOptions uniform = TestOptions();
  uniform.sampling = "uniform";
  absl::StatusOr<std::unique_ptr<Detector>> d = Detector::Load(*model_path_, uniform);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ((*d)->preset().faces.sampling, nn::FrameSampling::kEvenlySpaced);
}

}  // namespace
}  // namespace serve
