// Tests for the HOG face detector: downscaling, box mapping, scores, bad input.
#include "video/face_detector.h"

#include <gtest/gtest.h>

#include <thread>

#include "video/sampling.h"

namespace video {
namespace {

Frame SolidFrame(int width, int height, uint8_t r, uint8_t g, uint8_t b) {
  Frame frame;
  frame.width = width;
  frame.height = height;
  frame.rgb.resize(static_cast<size_t>(width) * height * 3);
  for (size_t i = 0; i < frame.rgb.size(); i += 3) {
    frame.rgb[i] = r;
    frame.rgb[i + 1] = g;
    frame.rgb[i + 2] = b;
  }
  return frame;
}

Frame RealFaceFrame() {
  SamplingOptions options;
  options.num_frames = 1;
  absl::StatusOr<std::vector<Frame>> frames =
      SampleFrames("video/testdata/retalking_face2_2s.mp4", options);
  EXPECT_TRUE(frames.ok()) << frames.status();
  return frames.ok() ? frames->front() : Frame();
}

TEST(IntersectionOverUnionTest, Values) {
  const FaceBox a{0, 0, 10, 10}, b{5, 0, 15, 10}, c{20, 20, 30, 30};
  EXPECT_DOUBLE_EQ(IntersectionOverUnion(a, a), 1.0);
  EXPECT_DOUBLE_EQ(IntersectionOverUnion(a, b), 50.0 / 150.0);
  EXPECT_DOUBLE_EQ(IntersectionOverUnion(a, c), 0.0);
}

TEST(DownscaledGrayTest, KeepsSmallFramesAndAveragesLargeOnes) {
  Frame frame = SolidFrame(4, 2, 0, 0, 0);
  // Left half white, right half black.
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 2; ++x) std::fill_n(frame.rgb.data() + (y * 4 + x) * 3, 3, 255);
  }
  std::vector<uint8_t> gray;
  int w = 0, h = 0;
  EXPECT_DOUBLE_EQ(DownscaledGray(frame, 0, &gray, &w, &h), 1.0);
  ASSERT_EQ(w, 4);
  ASSERT_EQ(h, 2);
  EXPECT_EQ(gray[0], 255);
  EXPECT_EQ(gray[3], 0);
  EXPECT_DOUBLE_EQ(DownscaledGray(frame, 2, &gray, &w, &h), 0.5);
  ASSERT_EQ(w, 2);
  ASSERT_EQ(h, 1);
  EXPECT_EQ(gray[0], 255);  // the average of the white 2x2 block
  EXPECT_EQ(gray[1], 0);
  // Luma weights: pure green is brighter than pure red, which is brighter than pure blue.
  Frame red = SolidFrame(2, 2, 255, 0, 0), green = SolidFrame(2, 2, 0, 255, 0),
        blue = SolidFrame(2, 2, 0, 0, 255);
  std::vector<uint8_t> r, g, b;
  DownscaledGray(red, 0, &r, &w, &h);
  DownscaledGray(green, 0, &g, &w, &h);
  DownscaledGray(blue, 0, &b, &w, &h);
  EXPECT_GT(g[0], r[0]);
  EXPECT_GT(r[0], b[0]);
}

TEST(FaceDetectorTest, NoFaceInAFlatFrame) {
  FaceDetector detector;
  absl::StatusOr<std::vector<FaceBox>> faces = detector.Detect(SolidFrame(320, 240, 90, 90, 90));
  ASSERT_TRUE(faces.ok()) << faces.status();
  EXPECT_TRUE(faces->empty());
}

TEST(FaceDetectorTest, RejectsAFrameWhoseBytesDoNotMatchItsSize) {
  Frame frame = SolidFrame(32, 32, 0, 0, 0);
  frame.rgb.resize(100);
  frame.index = 7;
  FaceDetector detector;
  absl::StatusOr<std::vector<FaceBox>> faces = detector.Detect(frame);
  ASSERT_FALSE(faces.ok());
  EXPECT_NE(faces.status().message().find("frame 7"), std::string::npos) << faces.status();
}

TEST(FaceDetectorTest, FindsTheFaceAndMapsTheBoxBackToFramePixels) {
  const Frame frame = RealFaceFrame();
  ASSERT_EQ(frame.width, 844);
  FaceDetectorOptions full_options;
  full_options.max_detection_side = 0;
  FaceDetector full(full_options);
  FaceDetectorOptions small_options;
  small_options.max_detection_side = 400;
  FaceDetector small(small_options);
  absl::StatusOr<std::vector<FaceBox>> at_full = full.Detect(frame);
  absl::StatusOr<std::vector<FaceBox>> at_small = small.Detect(frame);
  ASSERT_TRUE(at_full.ok() && at_small.ok());
  ASSERT_EQ(at_full->size(), 1u);
  ASSERT_EQ(at_small->size(), 1u);
  const FaceBox& a = at_full->front();
  const FaceBox& b = at_small->front();
  EXPECT_GT(a.score, 0);
  EXPECT_GT(b.score, 0);
  // The same face, in the same frame coordinates (HOG's box quantization: within ~15%).
  EXPECT_GT(IntersectionOverUnion(a, b), 0.6)
      << a.left << "," << a.top << " " << b.left << "," << b.top;
  EXPECT_NEAR(b.size(), a.size(), 0.25 * a.size());
  EXPECT_GT(a.size(), 150);  // the face fills a good part of the 844x844 frame
  // Inside the frame, around its centre.
  EXPECT_GT(a.center_x(), 200);
  EXPECT_LT(a.center_x(), 644);
}

TEST(FaceDetectorTest, IsSafeToCallFromSeveralThreads) {
  const Frame frame = RealFaceFrame();
  FaceDetector detector;
  std::vector<std::thread> threads;
  std::vector<int> found(4, -1);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<std::vector<FaceBox>> faces = detector.Detect(frame);
      found[i] = faces.ok() ? static_cast<int>(faces->size()) : -2;
    });
  }
  for (std::thread& t : threads) t.join();
  for (int n : found) EXPECT_EQ(n, 1);
}

}  // namespace
}  // namespace video
