// The failure kinds PreprocessVideo / PreprocessFrames attach to their errors
// (PreprocessFailureOf), on real frames of a committed clip: callers classify failures by
// them, never by the message.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "base/testing/test_paths.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nn/models/presets.h"
#include "video/preprocess.h"
#include "video/sampling.h"

namespace video {
namespace {

using ::testing::StartsWith;

constexpr char kClip[] = "video/testdata/retalking_face5_2s.mp4";

PreprocessOptions Options() {
  PreprocessOptions options;
  options.landmark_model_path = base::testing::kLandmarkModelPath;
  return options;
}

nn::Preprocessing Tiny() { return nn::GetPreset("tiny")->preprocessing; }

std::vector<Frame> ClipFrames() {
  SamplingOptions sampling;
  sampling.num_frames = 4;
  return SampleFrames(kClip, sampling).value();
}

Frame Blank(const Frame& like) {
  Frame blank = like;
  std::fill(blank.rgb.begin(), blank.rgb.end(), 90);
  return blank;
}

TEST(PreprocessFailureTest, KindsOfFailure) {
  const std::vector<Frame> frames = ClipFrames();
  ASSERT_EQ(frames.size(), 4u);

  absl::StatusOr<PreprocessedVideo> ok = PreprocessFrames("clip", frames, Tiny(), Options());
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(PreprocessFailureOf(ok.status()), PreprocessFailure::kOther);

  absl::StatusOr<PreprocessedVideo> one = PreprocessFrames("clip", {frames[0]}, Tiny(), Options());
  EXPECT_EQ(PreprocessFailureOf(one.status()), PreprocessFailure::kTooFewFrames);

  const std::vector<Frame> blank(4, Blank(frames[0]));
  absl::StatusOr<PreprocessedVideo> none = PreprocessFrames("clip", blank, Tiny(), Options());
  EXPECT_EQ(PreprocessFailureOf(none.status()), PreprocessFailure::kNoFace);
  EXPECT_THAT(std::string(none.status().message()), StartsWith("clip: no face found"));

  PreprocessOptions large = Options();
  large.tracker.min_face_size = 5000;
  absl::StatusOr<PreprocessedVideo> small = PreprocessFrames("clip", frames, Tiny(), large);
  EXPECT_EQ(PreprocessFailureOf(small.status()), PreprocessFailure::kFaceTooSmall);
  EXPECT_THAT(std::string(small.status().message()), StartsWith("clip: no face track"));

  // A face in one frame of four: too brief for a track (at least 2 detections).
  std::vector<Frame> brief = blank;
  brief[1] = frames[1];
  absl::StatusOr<PreprocessedVideo> once = PreprocessFrames("clip", brief, Tiny(), Options());
  EXPECT_EQ(PreprocessFailureOf(once.status()), PreprocessFailure::kNoFaceTrack);

  absl::StatusOr<PreprocessedVideo> missing =
      PreprocessVideo(base::testing::TestTempPath("absent.mp4"), Tiny(), Options());
  EXPECT_EQ(PreprocessFailureOf(missing.status()), PreprocessFailure::kUnreadable);

  EXPECT_EQ(PreprocessFailureOf(absl::NotFoundError("x")), PreprocessFailure::kOther);
  EXPECT_EQ(PreprocessFailureOf(WithPreprocessFailure(absl::NotFoundError("x"),
                                                      PreprocessFailure::kDamaged)),
            PreprocessFailure::kDamaged);
  EXPECT_STREQ(PreprocessFailureName(PreprocessFailure::kNoFaceTrack), "no_face_track");
}

}  // namespace
}  // namespace video
