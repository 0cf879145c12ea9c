// Tests for the face swap: the swapped region shows the source identity, the rest of the
// frame is untouched, and the parameters act as described.
#include "train/synth/face_swap.h"

#include <cmath>

#include "gtest/gtest.h"
#include "train/synth/synthetic_faces.h"

namespace train::synth {
namespace {

using testing::AlignedFaceDistance;
using testing::RenderSyntheticFace;
using testing::SyntheticLandmarks;

class FaceSwapTest : public ::testing::TestWithParam<BlendMode> {};

TEST_P(FaceSwapTest, SwappedFaceIsCloserToTheSourceAndOutsideIsUnchanged) {
  // Source A (horizontal stripes) at 200x200, target B (vertical stripes) at 240x200.
  const Image a = RenderSyntheticFace(200, 200, 0, 0);
  const Landmarks la = SyntheticLandmarks(200, 200, 0);
  const Image b = RenderSyntheticFace(240, 200, 5, 1);
  const Landmarks lb = SyntheticLandmarks(240, 200, 5);
  FaceSwapParams params;
  params.blend = GetParam();
  FaceSwapState state;
  Mask mask;
  const Image swapped = SwapFace(a, la, b, lb, FaceSwapTriangles({lb}), params, &state, &mask);

  const double before = AlignedFaceDistance(b, lb, a, la);
  const double after = AlignedFaceDistance(swapped, lb, a, la);
  EXPECT_LT(after, 0.5 * before) << "before " << before << " after " << after;
  int changed_outside = 0, changed_inside = 0;
  for (int y = 0; y < b.height; ++y)
    for (int x = 0; x < b.width; ++x)
      for (int c = 0; c < 3; ++c) {
        const bool changed = swapped.at(x, y)[c] != b.at(x, y)[c];
        (mask.at(x, y) > 0 ? changed_inside : changed_outside) += changed;
      }
  EXPECT_EQ(changed_outside, 0);
  EXPECT_GT(changed_inside, 1000);
  // Colour transfer: the swapped face has the target's (pale) skin tone, not the source's.
  EXPECT_GT(swapped.at(int(lb[33].x), int(lb[33].y) - 4)[2], 120.f);
}

INSTANTIATE_TEST_SUITE_P(Modes, FaceSwapTest,
                         ::testing::Values(BlendMode::kAlpha, BlendMode::kPoisson));

TEST(FaceSwapParamsTest, BlendRatioAndResolutionAct) {
  const Image a = RenderSyntheticFace(160, 160, 0, 0), b = RenderSyntheticFace(160, 160, 0, 2);
  const Landmarks l = SyntheticLandmarks(160, 160, 0);
  const auto tris = FaceSwapTriangles({l});
  FaceSwapParams full, half, blurry;
  full.blend = half.blend = blurry.blend = BlendMode::kAlpha;
  half.blend_ratio = 0.5;
  blurry.source_resolution = 0.25;
  const Image f = SwapFace(a, l, b, l, tris, full, nullptr, nullptr);
  const Image h = SwapFace(a, l, b, l, tris, half, nullptr, nullptr);
  const Image s = SwapFace(a, l, b, l, tris, blurry, nullptr, nullptr);
  EXPECT_LT(AlignedFaceDistance(f, l, a, l), AlignedFaceDistance(h, l, a, l));
  EXPECT_LT(AlignedFaceDistance(f, l, a, l), AlignedFaceDistance(s, l, a, l));
}

}  // namespace
}  // namespace train::synth
