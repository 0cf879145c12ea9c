// Tests for face crops: the similarity fit, margins, rotation, sampling and the exact box.
#include "video/align.h"

#include <gtest/gtest.h>

#include <cmath>

namespace video {
namespace {

// Landmarks whose eyes and mouth sit exactly on the template for `box`, rotated by
// `degrees` about the box centre.
FaceLandmarks TemplateLandmarks(const FaceBox& box, double degrees) {
  const double cx = box.center_x(), cy = box.center_y(), r = degrees * M_PI / 180;
  auto place = [&](double u, double v) {
    const double x = box.left + u * box.width() - cx, y = box.top + v * box.height() - cy;
    return Point2{cx + std::cos(r) * x - std::sin(r) * y, cy + std::sin(r) * x + std::cos(r) * y};
  };
  FaceLandmarks landmarks;
  for (int i = 36; i <= 41; ++i) landmarks.points[i] = place(kTemplateLeftEyeX, kTemplateEyeY);
  for (int i = 42; i <= 47; ++i) landmarks.points[i] = place(kTemplateRightEyeX, kTemplateEyeY);
  for (int i = 48; i <= 67; ++i) landmarks.points[i] = place(kTemplateMouthX, kTemplateMouthY);
  return landmarks;
}

Point2 Apply(const CropTransform& m, double u, double v) {
  return {m.a * u + m.b * v + m.c, m.d * u + m.e * v + m.f};
}

Frame GradientFrame(int width, int height) {
  Frame frame;
  frame.width = width;
  frame.height = height;
  frame.rgb.resize(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* p = frame.rgb.data() + (static_cast<size_t>(y) * width + x) * 3;
      p[0] = static_cast<uint8_t>(x % 256);
      p[1] = static_cast<uint8_t>(y % 256);
      p[2] = 200;
    }
  }
  return frame;
}

TEST(AlignedCropTransformTest, UprightFaceGivesTheBoxTimesTheMargin) {
  const FaceBox box{100, 50, 300, 250};
  const CropTransform m = AlignedCropTransform(TemplateLandmarks(box, 0), 1.3, 224);
  const Point2 centre = Apply(m, 112, 112);
  EXPECT_NEAR(centre.x, 200, 1e-6);
  EXPECT_NEAR(centre.y, 150, 1e-6);
  const Point2 top_left = Apply(m, 0, 0), bottom_right = Apply(m, 224, 224);
  EXPECT_NEAR(bottom_right.x - top_left.x, 1.3 * 200, 1e-6);
  EXPECT_NEAR(bottom_right.y - top_left.y, 1.3 * 200, 1e-6);
  EXPECT_NEAR(m.b, 0, 1e-9);
  EXPECT_NEAR(m.d, 0, 1e-9);
}

TEST(AlignedCropTransformTest, UndoesARolledHead) {
  const FaceBox box{100, 100, 300, 300};
  const CropTransform m = AlignedCropTransform(TemplateLandmarks(box, 30), 1.0, 100);
  // The crop's x axis follows the eyes' line, rotated 30 degrees in the frame.
  EXPECT_NEAR(std::atan2(m.d, m.a) * 180 / M_PI, 30, 1e-6);
  EXPECT_NEAR(std::hypot(m.a, m.d), 2.0, 1e-6);  // 200 px of face over 100 crop pixels
  const Point2 centre = Apply(m, 50, 50);
  EXPECT_NEAR(centre.x, 200, 1e-6);
  EXPECT_NEAR(centre.y, 200, 1e-6);
}

TEST(SampleCropTest, IdentityReproducesTheFrameAndOutsideIsBlack) {
  const Frame frame = GradientFrame(40, 30);
  CropTransform identity;
  std::vector<uint8_t> crop = SampleCrop(frame, identity, 30);
  for (int y = 0; y < 30; ++y) {
    for (int x = 0; x < 30; ++x) {
      EXPECT_EQ(crop[(y * 30 + x) * 3 + 0], x);
      EXPECT_EQ(crop[(y * 30 + x) * 3 + 1], y);
    }
  }
  CropTransform shifted;
  shifted.c = -100;  // entirely left of the frame
  crop = SampleCrop(frame, shifted, 10);
  for (uint8_t v : crop) EXPECT_EQ(v, 0);
}

TEST(SampleCropTest, ShrinkingAveragesInsteadOfAliasing) {
  // A 1-pixel black/white checkerboard shrunk 4x is mid-grey everywhere.
  Frame frame;
  frame.width = frame.height = 64;
  frame.rgb.resize(64 * 64 * 3);
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 64; ++x)
      std::fill_n(frame.rgb.data() + (y * 64 + x) * 3, 3, (x + y) % 2 ? 255 : 0);
  }
  CropTransform shrink;
  shrink.a = shrink.e = 4;
  const std::vector<uint8_t> crop = SampleCrop(frame, shrink, 16);
  for (uint8_t v : crop) EXPECT_NEAR(v, 128, 2);
}

TEST(ExactBoxCropTest, CopiesTheBoxAndClipsToTheFrame) {
  const Frame frame = GradientFrame(100, 80);
  std::vector<uint8_t> crop;
  ASSERT_TRUE(ExactBoxCrop(frame, FaceBox{10, 20, 42, 52}, 32, &crop));
  EXPECT_EQ(crop[0], 10);  // R = x of the box's top-left pixel
  EXPECT_EQ(crop[1], 20);  // G = y
  EXPECT_EQ(crop[(31 * 32 + 31) * 3], 41);
  EXPECT_EQ(crop[(31 * 32 + 31) * 3 + 1], 51);
  // Half outside: only the part inside the frame is stretched over the crop.
  ASSERT_TRUE(ExactBoxCrop(frame, FaceBox{-50, 0, 50, 50}, 50, &crop));
  EXPECT_EQ(crop[0], 0);
  EXPECT_EQ(crop[(0 * 50 + 49) * 3], 49);
  EXPECT_FALSE(ExactBoxCrop(frame, FaceBox{200, 200, 300, 300}, 50, &crop));
  EXPECT_TRUE(crop.empty());
}

TEST(CropFaceTest, ModesAndSizes) {
  const Frame frame = GradientFrame(200, 200);
  const FaceBox box{50, 50, 150, 150};
  const FaceLandmarks landmarks = TemplateLandmarks(box, 0);
  CropOptions aligned;
  aligned.size = 64;
  EXPECT_EQ(CropFace(frame, box, &landmarks, aligned).size(), 64u * 64 * 3);
  CropOptions exact;
  exact.mode = CropMode::kExactBox;
  exact.size = 112;
  const std::vector<uint8_t> crop = CropFace(frame, box, nullptr, exact);
  ASSERT_EQ(crop.size(), 112u * 112 * 3);
  EXPECT_EQ(crop[0], 50);
  EXPECT_EQ(std::string(CropModeName(CropMode::kExactBox)), "exact_box");
}

TEST(CropFaceDeathTest, AlignedCropNeedsLandmarks) {
  const Frame frame = GradientFrame(20, 20);
  EXPECT_DEATH(CropFace(frame, FaceBox{0, 0, 10, 10}, nullptr, CropOptions()), "landmarks");
}

}  // namespace
}  // namespace video
