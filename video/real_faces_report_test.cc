// The real-face acceptance bar on the committed clips: a face in >= 95% of the sampled
// frames and exactly one track, for the default and the jadhav2020 preprocessing.
#include "video/real_faces_report.h"

#include <gtest/gtest.h>

#include "base/testing/test_paths.h"

namespace video {
namespace {

TEST(RealFacesTest, EveryCommittedClipHasOneWellDetectedTrack) {
  for (const std::string preset_name : {"default", "jadhav2020"}) {
    const nn::ModelPreset preset = nn::GetPreset(preset_name).value();
    PreprocessOptions options = PreprocessOptionsForPreset(preset);
    options.landmark_model_path = base::testing::kLandmarkModelPath;
    for (const char* clip :
         {"video/testdata/liveportrait_d3_2s.mp4", "video/testdata/retalking_face2_2s.mp4",
          "video/testdata/retalking_face5_2s.mp4"}) {
      SCOPED_TRACE(std::string(clip) + " " + preset_name);
      const ClipFaceReport report = EvaluateClip(clip, preset.preprocessing, options);
      ASSERT_TRUE(report.error.ok()) << report.error;
      EXPECT_EQ(report.sampled_frames, preset.preprocessing.frames);
      EXPECT_GE(report.detection_rate(), 0.95);
      EXPECT_EQ(report.tracks, 1);
      EXPECT_TRUE(report.Passes());
    }
  }
}

}  // namespace
}  // namespace video
