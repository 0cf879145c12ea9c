// Tests for the float image helpers: 8-bit round trip, bilinear sampling, resize and blur.
#include "train/synth/image.h"

#include <cmath>

#include "gtest/gtest.h"

namespace train::synth {
namespace {

TEST(ImageTest, Rgb8RoundTripClampsAndRounds) {
  Image image(2, 1);
  image.data = {-5.f, 10.4f, 10.6f, 254.6f, 300.f, 128.f};
  const std::vector<uint8_t> rgb = ImageToRgb8(image);
  EXPECT_EQ(rgb, (std::vector<uint8_t>{0, 10, 11, 255, 255, 128}));
  EXPECT_EQ(ImageFromRgb8(rgb.data(), 2, 1).data[3], 255.f);
}

TEST(ImageTest, BilinearInterpolatesBetweenPixels) {
  Image image(2, 2);
  image.at(0, 0)[0] = 0, image.at(1, 0)[0] = 100, image.at(0, 1)[0] = 50, image.at(1, 1)[0] = 150;
  float out[3];
  SampleBilinear(image, 0.5, 0.5, out);
  EXPECT_FLOAT_EQ(out[0], 75.f);
  SampleBilinear(image, 5, -3, out);  // clamps to (1, 0)
  EXPECT_FLOAT_EQ(out[0], 100.f);
}

TEST(ImageTest, BlurKeepsMeanAndSmoothsEdges) {
  Image image(40, 30);
  for (int y = 0; y < 30; ++y)
    for (int x = 20; x < 40; ++x) image.at(x, y)[1] = 200;
  GaussianBlur(&image, 3);
  double sum = 0;
  for (int y = 0; y < 30; ++y)
    for (int x = 0; x < 40; ++x) sum += image.at(x, y)[1];
  EXPECT_NEAR(sum / (40 * 30), 100, 0.5);
  EXPECT_NEAR(image.at(19, 15)[1], 100, 15);  // the edge is now a ramp
  EXPECT_NEAR(image.at(2, 15)[1], 0, 1);
}

TEST(ImageTest, DownscaleThenUpscaleLosesDetailButKeepsMean) {
  Image image(64, 64);
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) image.at(x, y)[0] = (x + y) % 2 ? 255.f : 0.f;
  const Image back = Resize(Resize(image, 16, 16), 64, 64);
  double mean = 0, contrast = 0;
  for (int i = 0; i < 64 * 64; ++i) mean += back.data[i * 3] / (64 * 64);
  for (int i = 0; i < 64 * 64; ++i) contrast += std::abs(back.data[i * 3] - mean) / (64 * 64);
  EXPECT_NEAR(mean, 127.5, 3);
  EXPECT_LT(contrast, 10);  // the checkerboard is gone
}

TEST(ImageTest, SupportAndBoundingRect) {
  Mask mask(10, 10);
  mask.at(3, 4) = 1, mask.at(6, 7) = 0.5;
  const Rect r = MaskSupport(mask, 0.1f);
  EXPECT_EQ(r.x0, 3);
  EXPECT_EQ(r.x1, 7);
  EXPECT_EQ(r.y0, 4);
  EXPECT_EQ(r.y1, 8);
  EXPECT_TRUE(MaskSupport(Mask(5, 5), 0.1f).empty());
  const Rect b = BoundingRect({{2, 3}, {5, 8}}, 1, 7, 100);
  EXPECT_EQ(b.x0, 1);
  EXPECT_EQ(b.x1, 7);
  EXPECT_EQ(b.y0, 2);
  EXPECT_EQ(b.y1, 10);
}

}  // namespace
}  // namespace train::synth
