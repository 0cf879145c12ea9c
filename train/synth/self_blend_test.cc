// Tests for self-blending: neutral parameters change nothing, jitter changes only the masked
// face, and parameter sampling is deterministic per seed.
#include "train/synth/self_blend.h"

#include "gtest/gtest.h"
#include "train/synth/synthetic_faces.h"

namespace train::synth {
namespace {

TEST(SelfBlendTest, NeutralParametersReturnTheFrame) {
  const Image frame = testing::RenderSyntheticFace(160, 140, 3, 2);
  const Landmarks lm = testing::SyntheticLandmarks(160, 140, 3);
  const Image out = SelfBlend(frame, lm, SelfBlendParams{}, nullptr);
  for (size_t i = 0; i < frame.data.size(); ++i) ASSERT_NEAR(out.data[i], frame.data[i], 1e-3);
}

TEST(SelfBlendTest, JitterChangesOnlyTheMaskedFace) {
  const Image frame = testing::RenderSyntheticFace(160, 140, 3, 1);
  const Landmarks lm = testing::SyntheticLandmarks(160, 140, 3);
  SelfBlendParams p;
  p.channel_offset[0] = 15;
  p.scale = 1.04;
  p.shift_x = 0.02;
  p.sharpness = -1;
  Mask mask;
  const Image out = SelfBlend(frame, lm, p, &mask);
  double inside = 0;
  for (int y = 0; y < 140; ++y)
    for (int x = 0; x < 160; ++x) {
      if (mask.at(x, y) == 0) {
        for (int c = 0; c < 3; ++c) ASSERT_EQ(out.at(x, y)[c], frame.at(x, y)[c]) << x << "," << y;
      } else if (mask.at(x, y) > 0.9f) {
        inside += std::abs(out.at(x, y)[0] - frame.at(x, y)[0]);
      }
    }
  EXPECT_GT(inside, 1000);
}

TEST(SelfBlendTest, SamplingIsDeterministicPerSeed) {
  std::mt19937_64 a(9), b(9), c(10);
  const SelfBlendParams pa = SampleSelfBlendParams(a), pb = SampleSelfBlendParams(b),
                        pc = SampleSelfBlendParams(c);
  EXPECT_EQ(pa.scale, pb.scale);
  EXPECT_EQ(pa.mask.deform_seed, pb.mask.deform_seed);
  EXPECT_NE(pa.scale, pc.scale);
  EXPECT_GE(pa.scale, 0.95);
  EXPECT_LE(pa.scale, 1.05);
}

}  // namespace
}  // namespace train::synth
