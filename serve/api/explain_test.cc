// Detect with explain and Explain(): every track gets one heatmap per sampled frame, equal
// to ComputeGradCam on the same preprocessed track, with the crop overlay at model input
// size; Explain on a detected result gives the same; nothing to explain is an error.
#include "base/testing/test_paths.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "serve/api/detector.h"
#include "serve/api/testing/test_model.h"
#include "serve/explain/grad_cam.h"
#include "eval/model_file.h"
#include "eval/score.h"

namespace serve {
namespace {

using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr char kClip[] = "train/testdata/videos/fake_retalking_face2.mp4";

TEST(ExplainTest, HeatmapsOfEveryTrack) {
  const std::string model_path =
      testing::WriteRandomModel(base::testing::TestTempPath("tiny.safetensors"));
  DetectorOptions options;
  options.device = "cpu";
  options.landmark_model_path = base::testing::kLandmarkModelPath;
  absl::StatusOr<std::unique_ptr<Detector>> detector = Detector::Load(model_path, options);
  ASSERT_TRUE(detector.ok()) << detector.status();

  DetectOptions explain;
  explain.explain = true;
  const DetectionResult r = (*detector)->Detect(kClip, explain);
  ASSERT_NE(r.verdict, Verdict::kUndetermined) << r.message;
  EXPECT_TRUE(r.video.warnings.empty()) << r.video.warnings.front();
  EXPECT_GT(r.times.explain, 0);

  // The same computed here: ComputeGradCam on the same tracks.
  absl::StatusOr<eval::LoadedModel> loaded = eval::LoadModel(model_path, nn::Device::CPU());
  ASSERT_TRUE(loaded.ok());
  absl::StatusOr<video::PreprocessedVideo> faces = video::PreprocessVideo(
      kClip, (*detector)->preset().preprocessing, (*detector)->preprocess_options());
  ASSERT_TRUE(faces.ok());
  ASSERT_EQ(faces->tracks.size(), r.tracks.size());
  for (size_t i = 0; i < r.tracks.size(); ++i) {
    const std::vector<Heatmap>& heatmaps = r.tracks[i].heatmaps;
    ASSERT_THAT(heatmaps, SizeIs(4));
    absl::StatusOr<explain::GradCam> cam = explain::ComputeGradCam(
        *loaded->model, faces->tracks[i].faces, eval::FakeOutputIndex(loaded->preset));
    ASSERT_TRUE(cam.ok()) << cam.status();
    const size_t cells = static_cast<size_t>(cam->width) * cam->height;
    for (int t = 0; t < 4; ++t) {
      const Heatmap& h = heatmaps[t];
      EXPECT_EQ(h.width, cam->width);
      EXPECT_EQ(h.height, cam->height);
      EXPECT_EQ(h.values, std::vector<float>(cam->values.begin() + t * cells,
                                             cam->values.begin() + (t + 1) * cells));
      EXPECT_EQ(h.overlay.width, 32);
      EXPECT_EQ(h.overlay.height, 32);
      EXPECT_THAT(h.overlay.rgb, SizeIs(32 * 32 * 3));
    }
  }

  // Explain() on a result detected without: the same heatmaps.
  DetectionResult later = (*detector)->Detect(kClip);
  ASSERT_TRUE(later.tracks.front().heatmaps.empty());
  ASSERT_TRUE((*detector)->Explain(&later).ok());
  for (size_t i = 0; i < r.tracks.size(); ++i) {
    ASSERT_EQ(later.tracks[i].heatmaps.size(), r.tracks[i].heatmaps.size());
    for (size_t t = 0; t < r.tracks[i].heatmaps.size(); ++t) {
      EXPECT_EQ(later.tracks[i].heatmaps[t].values, r.tracks[i].heatmaps[t].values);
      EXPECT_EQ(later.tracks[i].heatmaps[t].overlay.rgb, r.tracks[i].heatmaps[t].overlay.rgb);
    }
  }

  // DetectBatch with explain fills them too.
  const std::vector<DetectionResult> batch = (*detector)->DetectBatch({kClip}, explain);
  ASSERT_THAT(batch, SizeIs(1));
  EXPECT_EQ(batch[0].tracks[0].heatmaps[0].values, r.tracks[0].heatmaps[0].values);

  DetectionResult missing = (*detector)->Detect(base::testing::TestTempPath("absent.mp4"));
  const absl::Status nothing = (*detector)->Explain(&missing);
  EXPECT_EQ(nothing.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(nothing.message()), StartsWith(missing.path + ": nothing to explain"));
}

}  // namespace
}  // namespace serve
