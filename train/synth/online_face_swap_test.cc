// Tests for on-the-fly face swaps of crop tensors: the target's face becomes the source's,
// the background stays, the same seed gives the same fake, and the nearest face is chosen.
#include "train/synth/online_face_swap.h"

#include "gtest/gtest.h"
#include "train/synth/crop_image.h"
#include "train/synth/synthetic_faces.h"

namespace train::synth {
namespace {

using testing::AlignedFaceDistance;
using testing::RenderSyntheticFace;
using testing::SyntheticLandmarks;

constexpr int kSize = 112;

// `frames` crops of one synthetic identity, and their landmarks.
nn::Tensor Crops(int frames, int identity, std::vector<Landmarks>* landmarks) {
  nn::Tensor t = nn::Tensor::Zeros(nn::Shape{frames, 3, kSize, kSize});
  const size_t plane = size_t(kSize) * kSize;
  for (int f = 0; f < frames; ++f) {
    const Image face = RenderSyntheticFace(kSize, kSize, f, identity);
    float* d = t.data<float>() + f * 3 * plane;
    for (size_t i = 0; i < plane; ++i)
      for (int c = 0; c < 3; ++c) d[c * plane + i] = face.data[i * 3 + c] / 255.f;
    landmarks->push_back(SyntheticLandmarks(kSize, kSize, f));
  }
  return t;
}

Image Frame(const nn::Tensor& crops, int t) {
  return CropFrameToImage(crops.data<float>() + size_t(t) * 3 * kSize * kSize, kSize, kSize);
}

TEST(OnlineFaceSwapTest, TheFaceBecomesTheSourcesAndTheCornersStay) {
  std::vector<Landmarks> lt, ls;
  const nn::Tensor real = Crops(3, 1, &lt), source = Crops(3, 0, &ls);
  nn::Tensor fake = real.Clone();
  std::mt19937_64 rng(3);
  SwapFaceCrops(&fake, lt, source, ls, rng);
  for (int t = 0; t < 3; ++t) {
    const Image a = Frame(real, t), b = Frame(fake, t), s = Frame(source, t);
    const double before = AlignedFaceDistance(a, lt[t], s, ls[t]);
    const double after = AlignedFaceDistance(b, lt[t], s, ls[t]);
    EXPECT_LT(after, 0.7 * before) << "frame " << t << ": " << before << " -> " << after;
    for (int c = 0; c < 3; ++c) EXPECT_EQ(a.at(0, 0)[c], b.at(0, 0)[c]);  // background
  }
  for (int64_t i = 0; i < fake.numel(); ++i)
    ASSERT_TRUE(fake.data<float>()[i] >= 0 && fake.data<float>()[i] <= 1);
}

TEST(OnlineFaceSwapTest, SameSeedSameFakeAndOtherSeedsDiffer) {
  std::vector<Landmarks> lt, ls;
  const nn::Tensor real = Crops(2, 2, &lt), source = Crops(2, 3, &ls);
  nn::Tensor a = real.Clone(), b = real.Clone(), c = real.Clone();
  std::mt19937_64 r1(9), r2(9), r3(10);
  SwapFaceCrops(&a, lt, source, ls, r1);
  SwapFaceCrops(&b, lt, source, ls, r2);
  SwapFaceCrops(&c, lt, source, ls, r3);
  int differ = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    ASSERT_EQ(a.data<float>()[i], b.data<float>()[i]) << i;
    differ += a.data<float>()[i] != c.data<float>()[i];
  }
  EXPECT_GT(differ, 100);
}

TEST(OnlineFaceSwapTest, NearestLandmarksPicksTheClosestFace) {
  const Landmarks target = SyntheticLandmarks(kSize, kSize, 0);
  Landmarks near = target, far = target;
  for (Point& p : near) p.x += 1;
  for (Point& p : far) p.y -= 6;
  EXPECT_EQ(NearestLandmarks(target, {&far, &near, &far}), 1);
  EXPECT_EQ(NearestLandmarks(target, {&far}), 0);
  EXPECT_EQ(NearestLandmarks(target, {}), -1);
}

TEST(OnlineFaceSwapDeathTest, MismatchedShapesAreAProgrammerError) {
  std::vector<Landmarks> lt, ls;
  nn::Tensor a = Crops(2, 0, &lt);
  const nn::Tensor b = Crops(3, 1, &ls);
  std::mt19937_64 rng(1);
  EXPECT_DEATH(SwapFaceCrops(&a, lt, b, ls, rng), "differ");
}

}  // namespace
}  // namespace train::synth
