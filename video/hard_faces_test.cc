// Faces in hard footage (the fixtures of //video/testing:make_face_fixtures): a dark room,
// a small face in a 1080p frame, a mirrored and turned head, two people side by side, and
// a test pattern with no face. Each detector mode is asserted on: `auto` finds every face,
// and no mode finds a face in the pattern.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/testing/test_paths.h"
#include "nn/models/presets.h"
#include "video/face_detector.h"
#include "video/preprocess.h"
#include "video/sampling.h"

namespace video {
namespace {

std::vector<Frame> Sample(const std::string& name, int n) {
  SamplingOptions options;
  options.num_frames = n;
  absl::StatusOr<std::vector<Frame>> frames = SampleFrames("video/testdata/" + name, options);
  EXPECT_TRUE(frames.ok()) << frames.status();
  return frames.ok() ? *frames : std::vector<Frame>();
}

// Faces found by `kind` in each of 3 sampled frames of the clip.
std::vector<int> FacesPerFrame(const std::string& clip, FaceDetectorKind kind,
                               std::vector<FaceDetectorKind>* used = nullptr) {
  FaceDetectorOptions options;
  options.kind = kind;
  FaceDetector detector(options);
  std::vector<int> counts;
  for (const Frame& frame : Sample(clip, 3)) {
    absl::StatusOr<FrameDetection> found = detector.DetectFrame(frame);
    EXPECT_TRUE(found.ok()) << found.status();
    counts.push_back(found.ok() ? static_cast<int>(found->faces.size()) : -1);
    if (used != nullptr && found.ok()) used->push_back(found->detector);
  }
  return counts;
}

const std::vector<int> kNone = {0, 0, 0}, kOne = {1, 1, 1}, kTwo = {2, 2, 2};

TEST(HardFacesTest, NoDetectorFindsAFaceInATestPattern) {
  for (FaceDetectorKind kind :
       {FaceDetectorKind::kHog, FaceDetectorKind::kCnn, FaceDetectorKind::kAuto}) {
    SCOPED_TRACE(FaceDetectorKindName(kind));
    EXPECT_EQ(FacesPerFrame("no_face_pattern.mp4", kind), kNone);
  }
}

TEST(HardFacesTest, AutoFindsTheFaceInADarkRoom) {
  // The frames are dark: the detectors see them contrast-stretched.
  Frame dark = Sample("faces_dark.mp4", 1).front();
  std::vector<uint8_t> pixels = dark.rgb;
  EXPECT_TRUE(StretchContrast(pixels, 3));
  EXPECT_EQ(FacesPerFrame("faces_dark.mp4", FaceDetectorKind::kAuto), kOne);
  EXPECT_EQ(FacesPerFrame("faces_dark.mp4", FaceDetectorKind::kCnn), kOne);
}

TEST(HardFacesTest, AutoFindsASmallFaceInA1080pFrame) {
  EXPECT_EQ(FacesPerFrame("faces_small_1080p.mp4", FaceDetectorKind::kHog), kNone);
  std::vector<FaceDetectorKind> used;
  EXPECT_EQ(FacesPerFrame("faces_small_1080p.mp4", FaceDetectorKind::kAuto, &used), kOne);
  EXPECT_EQ(used, std::vector<FaceDetectorKind>(3, FaceDetectorKind::kCnn));
}

TEST(HardFacesTest, AutoFindsAMirroredTurnedHead) {
  EXPECT_EQ(FacesPerFrame("faces_turned.mp4", FaceDetectorKind::kAuto), kOne);
}

TEST(HardFacesTest, AutoFindsBothOfTwoPeople) {
  EXPECT_EQ(FacesPerFrame("faces_two_people.mp4", FaceDetectorKind::kAuto), kTwo);
}

// The whole preprocessing with `auto`: one track per person, the detector per frame
// recorded, and no track (an error saying no face was found) for the pattern.
TEST(HardFacesTest, PreprocessingGivesOneTrackPerPersonAndNoneForThePattern) {
  nn::ModelPreset preset = nn::GetPreset("default").value();
  preset.preprocessing.frames = 4;
  preset.preprocessing.image_size = 64;
  PreprocessOptions options = PreprocessOptionsForPreset(preset);
  options.landmark_model_path = base::testing::kLandmarkModelPath;
  for (const auto& [clip, people] : std::vector<std::pair<std::string, int>>{
           {"faces_dark.mp4", 1},
           {"faces_small_1080p.mp4", 1},
           {"faces_turned.mp4", 1},
           {"faces_two_people.mp4", 2}}) {
    SCOPED_TRACE(clip);
    absl::StatusOr<PreprocessedVideo> video =
        PreprocessVideo("video/testdata/" + clip, preset.preprocessing, options);
    ASSERT_TRUE(video.ok()) << video.status();
    EXPECT_EQ(video->tracks.size(), static_cast<size_t>(people));
    EXPECT_GE(video->tracking.frames_with_faces, 4);
    for (const PreprocessedTrack& track : video->tracks) EXPECT_GE(track.track.num_detections, 4);
    for (const SampledFrameInfo& frame : video->frames) {
      EXPECT_GT(frame.detection_scale, 0);
      if (frame.detector == FaceDetectorKind::kCnn) {
        EXPECT_TRUE(frame.detector_fell_back);
      }
    }
  }
  absl::StatusOr<PreprocessedVideo> none =
      PreprocessVideo("video/testdata/no_face_pattern.mp4", preset.preprocessing, options);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(none.status().message(),
            "video/testdata/no_face_pattern.mp4: no face found in any of 4 sampled frames");
}

}  // namespace
}  // namespace video
