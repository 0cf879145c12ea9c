// The annotated video: it decodes with video::Decoder, has one frame per input frame at the
// input's size plus the timeline panel, and the box of a low-score track is green and that
// of a high-score track red at their interpolated places; box interpolation, running
// scores and colours on their own. A PNG of one annotated frame is left in the test's
// undeclared outputs for a look.
#include "serve/annotate/annotate.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/testing/test_paths.h"
#include "eval/plot/png.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "video/decoder.h"

namespace serve::annotate {
namespace {

using ::testing::HasSubstr;

constexpr char kClip[] = "train/testdata/videos/real_retalking_face2.mp4";

TrackFrame Sample(double t, double left, double top, double side, double score) {
  TrackFrame frame;
  frame.timestamp_seconds = t;
  frame.frame_index = static_cast<int64_t>(t * 25);
  frame.box.left = left, frame.box.top = top;
  frame.box.right = left + side, frame.box.bottom = top + side;
  frame.score = score;
  return frame;
}

TEST(ScoreColourTest, GreenToRed) {
  const auto r = [](uint32_t c) { return static_cast<int>(c >> 16); };
  const auto g = [](uint32_t c) { return static_cast<int>((c >> 8) & 0xff); };
  EXPECT_GT(g(ScoreColour(0)), r(ScoreColour(0)) + 100);
  EXPECT_GT(r(ScoreColour(1)), g(ScoreColour(1)) + 100);
  EXPECT_GT(r(ScoreColour(0.5)), 200);  // yellow
  EXPECT_GT(g(ScoreColour(0.5)), 200);
  EXPECT_EQ(ScoreColour(-1), ScoreColour(-0.5));  // no score: grey
}

TEST(BoxAtTest, InterpolatesBetweenSamplesAndHoldsOneGap) {
  TrackResult track;
  track.frames = {Sample(1.0, 10, 20, 40, 0.2), Sample(2.0, 30, 20, 60, 0.8)};
  std::optional<video::FaceBox> box = BoxAt(track, 1.5);
  ASSERT_TRUE(box.has_value());
  EXPECT_DOUBLE_EQ(box->left, 20);
  EXPECT_DOUBLE_EQ(box->right, 70);  // halfway between 50 and 90
  box = BoxAt(track, 0.2);           // within one gap (1 s) before the first sample
  ASSERT_TRUE(box.has_value());
  EXPECT_DOUBLE_EQ(box->left, 10);
  EXPECT_FALSE(BoxAt(track, -0.5).has_value());
  EXPECT_FALSE(BoxAt(track, 3.5).has_value());
  EXPECT_FALSE(BoxAt(TrackResult(), 1).has_value());
}

TEST(RunningScoreTest, MeanOfFrameScoresUpToTheTime) {
  TrackResult track;
  track.fake_probability = 0.9;
  track.frames = {Sample(0, 0, 0, 10, 0.2), Sample(1, 0, 0, 10, 0.6), Sample(2, 0, 0, 10, 1.0)};
  EXPECT_DOUBLE_EQ(RunningScore(track, -1), 0.2);  // before the first: the first's
  EXPECT_DOUBLE_EQ(RunningScore(track, 0.5), 0.2);
  EXPECT_DOUBLE_EQ(RunningScore(track, 1.0), 0.4);
  EXPECT_DOUBLE_EQ(RunningScore(track, 5), 0.6);
  for (TrackFrame& frame : track.frames) frame.score = -1;  // readout without frame scores
  EXPECT_DOUBLE_EQ(RunningScore(track, 1), 0.9);
}

// Mean RGB over a rectangle of a decoded frame.
std::array<double, 3> MeanColour(const video::Frame& frame, int x0, int y0, int x1, int y1) {
  std::array<double, 3> sum{0, 0, 0};
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) {
      for (int c = 0; c < 3; ++c) sum[c] += frame.pixel(x, y)[c];
    }
  }
  for (double& s : sum) s /= static_cast<double>((x1 - x0) * (y1 - y0));
  return sum;
}

TEST(AnnotateVideoTest, DecodesWithBoxesColouredByScore) {
  // The input's frames, counted by decoding it.
  absl::StatusOr<std::unique_ptr<video::Decoder>> input = video::Decoder::Open(kClip);
  ASSERT_TRUE(input.ok()) << input.status();
  const int width = (*input)->info().width, height = (*input)->info().height;
  int64_t input_frames = 0;
  double last_time = 0;
  while (true) {
    absl::StatusOr<std::optional<video::Frame>> frame = (*input)->Next();
    ASSERT_TRUE(frame.ok()) << frame.status();
    if (!frame->has_value()) break;
    ++input_frames;
    last_time = (*frame)->timestamp_seconds;
  }
  ASSERT_GT(input_frames, 10);

  DetectionResult result;
  result.path = kClip;
  result.verdict = Verdict::kFake;
  result.fake_probability = 0.9;
  result.threshold = 0.5;
  TrackResult real_face, fake_face;  // a green box at the left, a red one at the right
  real_face.track_id = 0;
  real_face.fake_probability = 0.1;
  real_face.frames = {Sample(0, 10, 30, 50, 0.1), Sample(last_time, 10, 30, 50, 0.1)};
  fake_face.track_id = 1;
  fake_face.fake_probability = 0.9;
  fake_face.frames = {Sample(0, 90, 30, 50, 0.9), Sample(last_time, 90, 30, 50, 0.9)};
  result.tracks = {real_face, fake_face};

  const std::string out = base::testing::TestTempPath("annotated.mp4");
  absl::StatusOr<AnnotateOutcome> outcome = AnnotateVideo(result, out);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_FALSE(std::filesystem::exists(out + ".partial"));
  EXPECT_EQ(outcome->frames, input_frames);

  absl::StatusOr<std::unique_ptr<video::Decoder>> annotated = video::Decoder::Open(out);
  ASSERT_TRUE(annotated.ok()) << annotated.status();
  EXPECT_EQ((*annotated)->info().codec, "h264");
  EXPECT_EQ((*annotated)->info().width, width & ~1);
  EXPECT_EQ((*annotated)->info().height, (height & ~1) + 56);  // the panel: max(56, h / 5)
  int64_t frames = 0;
  std::optional<video::Frame> middle;
  while (true) {
    absl::StatusOr<std::optional<video::Frame>> frame = (*annotated)->Next();
    ASSERT_TRUE(frame.ok()) << frame.status();
    if (!frame->has_value()) break;
    if (frames++ == input_frames / 2) middle = std::move(**frame);
  }
  EXPECT_EQ(frames, input_frames);
  ASSERT_TRUE(middle.has_value());

  // The left edges of the boxes (2 px strokes; sample the inner column's middle rows).
  const std::array<double, 3> green = MeanColour(*middle, 10, 45, 12, 75);
  const std::array<double, 3> red = MeanColour(*middle, 90, 45, 92, 75);
  EXPECT_GT(green[1], green[0] + 80) << green[0] << " " << green[1] << " " << green[2];
  EXPECT_GT(red[0], red[1] + 80) << red[0] << " " << red[1] << " " << red[2];
  // The panel is dark except for its drawing; the video above it is not the panel.
  const std::array<double, 3> panel_corner =
      MeanColour(*middle, 0, (height & ~1) + 50, 4, (height & ~1) + 56);
  EXPECT_LT(panel_corner[0], 40);

  // Kept for a look: bazel-testlogs/serve/annotate/annotate_test/test.outputs/.
  if (const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
    std::ofstream(std::string(dir) + "/annotated_frame.png", std::ios::binary)
        << eval::plot::EncodePng(middle->width, middle->height, middle->rgb);
  }
}

TEST(AnnotateVideoTest, ErrorsNameTheFiles) {
  DetectionResult result;
  result.path = base::testing::TestTempPath("missing.mp4");
  absl::StatusOr<AnnotateOutcome> outcome =
      AnnotateVideo(result, base::testing::TestTempPath("out.mp4"));
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.status().message(), HasSubstr(result.path));

  result.path = kClip;
  const std::string unwritable = base::testing::TestTempPath("no/such/dir/out.mp4");
  outcome = AnnotateVideo(result, unwritable);
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.status().message(), HasSubstr(unwritable));
}

}  // namespace
}  // namespace serve::annotate
