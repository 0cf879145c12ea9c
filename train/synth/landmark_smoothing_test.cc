// Tests for landmark gap filling and temporal smoothing.
#include "train/synth/landmark_smoothing.h"

#include <random>

#include "gtest/gtest.h"

namespace train::synth {
namespace {

TEST(LandmarkSmoothingTest, FillsGapsLinearlyAndKeepsLinearMotion) {
  std::vector<std::optional<Landmarks>> track(10);
  for (int t = 0; t < 10; ++t)
    if (t != 4 && t != 5) track[t] = Landmarks{{double(2 * t), 1.0}};
  auto filled = SmoothLandmarkTrack(track, 0);
  ASSERT_TRUE(filled.ok());
  EXPECT_DOUBLE_EQ((*filled)[4][0].x, 8);
  EXPECT_DOUBLE_EQ((*filled)[5][0].x, 10);
  auto smoothed = SmoothLandmarkTrack(track, 2);  // mirrored edges keep a line a line
  ASSERT_TRUE(smoothed.ok());
  for (int t = 0; t < 10; ++t) EXPECT_NEAR((*smoothed)[t][0].x, 2 * t, 1e-9) << t;
}

TEST(LandmarkSmoothingTest, RemovesJitter) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> noise(0, 2);
  std::vector<std::optional<Landmarks>> track(100);
  std::vector<Landmarks> raw;
  for (int t = 0; t < 100; ++t) {
    track[t] = Landmarks{{50 + 10 * std::sin(0.05 * t) + noise(rng), 20 + noise(rng)}};
    raw.push_back(*track[t]);
  }
  auto smoothed = SmoothLandmarkTrack(track, 2);
  ASSERT_TRUE(smoothed.ok());
  EXPECT_LT(LandmarkJitter(*smoothed), 0.2 * LandmarkJitter(raw));
}

TEST(LandmarkSmoothingTest, NoFaceAtAllIsAnError) {
  EXPECT_FALSE(SmoothLandmarkTrack(std::vector<std::optional<Landmarks>>(5), 1).ok());
}

}  // namespace
}  // namespace train::synth
