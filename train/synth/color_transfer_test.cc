// Tests for the sRGB <-> Lab conversion and Lab mean/std colour transfer.
#include "train/synth/color_transfer.h"

#include <cmath>
#include <random>

#include "gtest/gtest.h"

namespace train::synth {
namespace {

TEST(ColorTransferTest, LabOfKnownColours) {
  float lab[3];
  const float white[3] = {255, 255, 255}, black[3] = {0, 0, 0}, red[3] = {255, 0, 0};
  RgbToLab(white, lab);
  EXPECT_NEAR(lab[0], 100, 0.01);
  EXPECT_NEAR(lab[1], 0, 0.01);
  EXPECT_NEAR(lab[2], 0, 0.01);
  RgbToLab(black, lab);
  EXPECT_NEAR(lab[0], 0, 0.01);
  RgbToLab(red, lab);  // reference values for sRGB red, D65
  EXPECT_NEAR(lab[0], 53.24, 0.05);
  EXPECT_NEAR(lab[1], 80.09, 0.1);
  EXPECT_NEAR(lab[2], 67.20, 0.1);
}

TEST(ColorTransferTest, RoundTrip) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<float> u(0, 255);
  for (int i = 0; i < 1000; ++i) {
    const float rgb[3] = {u(rng), u(rng), u(rng)};
    float lab[3], back[3];
    RgbToLab(rgb, lab);
    LabToRgb(lab, back);
    for (int c = 0; c < 3; ++c) ASSERT_NEAR(back[c], rgb[c], 0.01);
  }
}

TEST(ColorTransferTest, TransferMatchesTargetStatistics) {
  std::mt19937_64 rng(5);
  std::normal_distribution<float> n(0, 1);
  Image a(30, 30), b(30, 30);
  for (int i = 0; i < 900; ++i) {
    const float t = n(rng);
    a.data[i * 3] = 120 + 20 * t, a.data[i * 3 + 1] = 100 + 15 * t,
               a.data[i * 3 + 2] = 90 + 10 * n(rng);
    b.data[i * 3] = 200 + 10 * n(rng), b.data[i * 3 + 1] = 150 + 8 * n(rng),
               b.data[i * 3 + 2] = 120 + 9 * n(rng);
  }
  const Mask all(30, 30, 1.f);
  const Rect region{0, 0, 30, 30};
  const LabStats from = ComputeLabStats(a, all, region), to = ComputeLabStats(b, all, region);
  const float none[3] = {0, 0, 0};
  Image moved = a;
  TransferColor(from, to, 1.0, none, region, nullptr, &moved);
  const LabStats after = ComputeLabStats(moved, all, region);
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(after.mean[c], to.mean[c], 0.5) << c;
    EXPECT_NEAR(after.stddev[c], to.stddev[c], 0.2 * to.stddev[c]) << c;  // gamut clipping
  }
  Image half = a;
  TransferColor(from, to, 0.5, none, region, nullptr, &half);
  const LabStats mid = ComputeLabStats(half, all, region);
  EXPECT_NEAR(mid.mean[0], 0.5 * (from.mean[0] + to.mean[0]), 1.0);
  const LabStats smoothed = BlendStats(from, to, 0.75);
  EXPECT_NEAR(smoothed.mean[0], 0.25 * to.mean[0] + 0.75 * from.mean[0], 1e-9);
}

}  // namespace
}  // namespace train::synth
