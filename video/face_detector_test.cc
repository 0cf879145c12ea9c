// Tests for the HOG face detector: downscaling, box mapping, scores, bad input.
#include "video/face_detector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <tuple>
#include <vector>

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

// `inner` pasted at (x0, y0) into a flat frame of `border` grey.
Frame Framed(const Frame& inner, int width, int height, int x0, int y0, uint8_t border) {
  Frame frame = SolidFrame(width, height, border, border, border);
  for (int y = 0; y < inner.height; ++y) {
    std::copy_n(inner.rgb.data() + static_cast<size_t>(y) * inner.width * 3, inner.width * 3,
                frame.rgb.data() + (static_cast<size_t>(y0 + y) * width + x0) * 3);
  }
  return frame;
}

TEST(PictureAreaTest, FindsASmallPictureInsideFlatBorders) {
  const Frame face = RealFaceFrame();
  ASSERT_GT(face.width, 0);
  // Pillarbox (black bars), a placed picture (grey frame around it), no border at all.
  for (const auto& [x0, y0, border] :
       std::vector<std::tuple<int, int, uint8_t>>{{600, 0, 0}, {1001, 351, 128}}) {
    SCOPED_TRACE(x0);
    const Frame framed =
        Framed(face, x0 + face.width + 317, y0 + face.height + (y0 > 0 ? 251 : 0), x0, y0, border);
    const FaceBox area = PictureArea(framed);
    // Within the 2-pixel sampling step (and a flat strip at the picture's own edge).
    EXPECT_NEAR(area.left, x0, 8);
    EXPECT_NEAR(area.top, y0, 8);
    EXPECT_NEAR(area.right, x0 + face.width, 8);
    EXPECT_NEAR(area.bottom, y0 + face.height, 8);
    EXPECT_GE(area.left, 0);
    EXPECT_LE(area.right, framed.width);
  }
  const FaceBox whole = PictureArea(face);
  EXPECT_LE(whole.left, 2);
  EXPECT_LE(whole.top, 2);
  EXPECT_GE(whole.right, face.width - 2);
  EXPECT_GE(whole.bottom, face.height - 2);
}

TEST(PictureAreaTest, AFlatFrameHasNoPictureAndStripesKeepTheirWholeSide) {
  EXPECT_EQ(PictureArea(SolidFrame(64, 48, 30, 30, 30)).width(), 0);
  Frame stripes = SolidFrame(64, 48, 0, 0, 0);  // flat columns: every row spans 0..255
  for (int y = 0; y < 48; ++y) {
    for (int x = 32; x < 64; ++x) {
      for (int c = 0; c < 3; ++c) stripes.rgb[(static_cast<size_t>(y) * 64 + x) * 3 + c] = 255;
    }
  }
  const FaceBox area = PictureArea(stripes);
  EXPECT_EQ(area.top, 0);
  EXPECT_EQ(area.bottom, 48);
  EXPECT_EQ(area.left, 0);
  EXPECT_EQ(area.right, 64);
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

TEST(FaceDetectorKindTest, ParsesAndNamesTheThreeModes) {
  for (FaceDetectorKind kind :
       {FaceDetectorKind::kHog, FaceDetectorKind::kCnn, FaceDetectorKind::kAuto}) {
    EXPECT_EQ(ParseFaceDetectorKind(FaceDetectorKindName(kind)).value(), kind);
  }
  const absl::StatusOr<FaceDetectorKind> bad = ParseFaceDetectorKind("haar");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "unknown face detector 'haar'; known: hog, cnn, auto");
}

TEST(CnnDetectionScaleTest, ShrinksHugeFramesAndEnlargesSmallOnes) {
  const FaceDetectorOptions options;  // about 1280x720 pixels, scale in [0.25, 2]
  EXPECT_NEAR(CnnDetectionScale(1280, 720, options), 1.0, 1e-9);
  EXPECT_NEAR(CnnDetectionScale(1920, 1080, options), 2.0 / 3, 1e-9);
  EXPECT_NEAR(CnnDetectionScale(640, 360, options), 2.0, 1e-9);
  EXPECT_NEAR(CnnDetectionScale(160, 90, options), 2.0, 1e-9);    // at most 2x up
  EXPECT_NEAR(CnnDetectionScale(7680, 4320, options), 0.25, 1e-9);  // at most 4x down
}

TEST(StretchContrastTest, StretchesDarkFramesOnly) {
  std::vector<uint8_t> dark(300);
  for (size_t i = 0; i < dark.size(); ++i) dark[i] = static_cast<uint8_t>(10 + i % 30);
  ASSERT_TRUE(StretchContrast(dark, 3));
  EXPECT_EQ(*std::min_element(dark.begin(), dark.end()), 0);
  EXPECT_EQ(*std::max_element(dark.begin(), dark.end()), 255);
  std::vector<uint8_t> full(256);
  for (int i = 0; i < 256; ++i) full[i] = static_cast<uint8_t>(i);
  const std::vector<uint8_t> before = full;
  EXPECT_FALSE(StretchContrast(full, 1));
  EXPECT_EQ(full, before);
  std::vector<uint8_t> flat(3000, 90);  // a flat frame stays flat
  StretchContrast(flat, 3);
  EXPECT_EQ(std::count(flat.begin(), flat.end(), flat[0]), 3000);
}

TEST(FaceDetectorTest, TheCnnFindsTheSameFaceAsHog) {
  const Frame frame = RealFaceFrame();
  FaceDetectorOptions hog_options, cnn_options;
  hog_options.kind = FaceDetectorKind::kHog;
  cnn_options.kind = FaceDetectorKind::kCnn;
  FaceDetector hog(hog_options), cnn(cnn_options);
  absl::StatusOr<FrameDetection> a = hog.DetectFrame(frame), b = cnn.DetectFrame(frame);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status() << b.status();
  ASSERT_EQ(a->faces.size(), 1u);
  ASSERT_EQ(b->faces.size(), 1u);
  EXPECT_EQ(a->detector, FaceDetectorKind::kHog);
  EXPECT_EQ(b->detector, FaceDetectorKind::kCnn);
  EXPECT_NEAR(b->scale, CnnDetectionScale(844, 844, cnn_options), 1e-9);
  EXPECT_GT(b->faces[0].score, 0);
  EXPECT_GT(IntersectionOverUnion(a->faces[0], b->faces[0]), 0.4);
  // auto: HOG found it, so the CNN never ran.
  FaceDetector automatic;
  absl::StatusOr<FrameDetection> c = automatic.DetectFrame(frame);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->detector, FaceDetectorKind::kHog);
  EXPECT_FALSE(c->fell_back);
}

TEST(FaceDetectorTest, AMissingCnnModelIsAnErrorNamingIt) {
  FaceDetectorOptions options;
  options.kind = FaceDetectorKind::kCnn;
  options.cnn_model_path = "/nonexistent/mmod.dat";
  FaceDetector detector(options);
  absl::StatusOr<std::vector<FaceBox>> faces = detector.Detect(RealFaceFrame());
  ASSERT_FALSE(faces.ok());
  EXPECT_EQ(faces.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(faces.status().message(),
            "/nonexistent/mmod.dat: CNN face detector model not found (or not a file)");
}

}  // namespace
}  // namespace video
