// Tests for on-the-fly self-blending of crop tensors.
#include "train/synth/online_self_blend.h"

#include <cmath>

#include "gtest/gtest.h"
#include "train/synth/face_template.h"
#include "train/synth/synthetic_faces.h"

namespace train::synth {
namespace {

nn::Tensor Crops(int frames, int size) {
  nn::Tensor t = nn::Tensor::Zeros(nn::Shape{frames, 3, size, size});
  float* d = t.data<float>();
  const size_t plane = size_t(size) * size;
  for (int f = 0; f < frames; ++f) {
    const Image face = testing::RenderSyntheticFace(size, size, f, 0);
    for (size_t i = 0; i < plane; ++i)
      for (int c = 0; c < 3; ++c) d[(f * 3 + c) * plane + i] = face.data[i * 3 + c] / 255.f;
  }
  return t;
}

TEST(OnlineSelfBlendTest, FakesDifferInsideTheFaceOnly) {
  const nn::Tensor real = Crops(4, 96);
  std::vector<Landmarks> landmarks;
  for (int f = 0; f < 4; ++f) landmarks.push_back(testing::SyntheticLandmarks(96, 96, f));
  OnlineSelfBlendOptions options;
  options.fake_probability = 1;
  std::mt19937_64 rng(4);
  const LabelledClip fake = MaybeSelfBlend(real, landmarks, options, rng);
  ASSERT_TRUE(fake.fake);
  const float *a = real.data<float>(), *b = fake.crops.data<float>();
  EXPECT_EQ(a[0], b[0]);  // the corner (background) is untouched
  double diff = 0;
  for (int64_t i = 0; i < real.numel(); ++i) diff += std::abs(a[i] - b[i]);
  EXPECT_GT(diff, 10);
  for (int64_t i = 0; i < real.numel(); ++i) ASSERT_TRUE(b[i] >= 0 && b[i] <= 1);
}

TEST(OnlineSelfBlendTest, LabelsFollowTheProbabilityAndRealIsUnchanged) {
  const nn::Tensor crops = Crops(2, 64);
  OnlineSelfBlendOptions options;
  options.fake_probability = 0.3;
  std::mt19937_64 rng(8);
  int fakes = 0;
  for (int i = 0; i < 200; ++i) {
    const LabelledClip clip = MaybeSelfBlend(crops, {}, options, rng);  // template landmarks
    fakes += clip.fake;
    if (!clip.fake) {
      EXPECT_EQ(clip.crops.data<float>(), crops.data<float>());
    }
  }
  EXPECT_NEAR(fakes, 60, 20);
}

TEST(OnlineSelfBlendTest, SameSeedSameFake) {
  const nn::Tensor crops = Crops(3, 64);
  OnlineSelfBlendOptions options;
  options.fake_probability = 1;
  options.consistent_over_clip = false;
  std::mt19937_64 r1(5), r2(5);
  const LabelledClip a = MaybeSelfBlend(crops, {}, options, r1),
                     b = MaybeSelfBlend(crops, {}, options, r2);
  for (int64_t i = 0; i < crops.numel(); ++i)
    ASSERT_EQ(a.crops.data<float>()[i], b.crops.data<float>()[i]);
}

TEST(OnlineSelfBlendTest, TemplateSitsInTheCrop) {
  const Landmarks lm = AlignedCropLandmarks(224, 1.3);
  for (const Point& p : lm) {
    EXPECT_GT(p.x, 0);
    EXPECT_LT(p.x, 224);
    EXPECT_GT(p.y, 0);
    EXPECT_LT(p.y, 224);
  }
  EXPECT_LT(lm[36].x, lm[45].x);  // image-left eye left of image-right eye
  EXPECT_LT(lm[27].y, lm[57].y);  // nose above the mouth
}

TEST(OnlineSelfBlendDeathTest, WrongShapeIsAProgrammerError) {
  nn::Tensor bad = nn::Tensor::Zeros(nn::Shape{2, 64, 64});
  std::mt19937_64 rng(1);
  EXPECT_DEATH(SelfBlendCrops(&bad, {}, {}, rng), "T,3,H,W");
}

}  // namespace
}  // namespace train::synth
