// Tests for alpha blending and Poisson seamless cloning.
#include "train/synth/blend.h"

#include <cmath>

#include "gtest/gtest.h"

namespace train::synth {
namespace {

Mask Disc(int w, int h, double r) {
  Mask m(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m.at(x, y) = std::hypot(x - w / 2.0, y - h / 2.0) < r;
  return m;
}

TEST(BlendTest, AlphaBlendMixes) {
  Image dst(2, 1, 100.f), src(2, 1, 200.f);
  Mask m(2, 1);
  m.alpha = {0.f, 1.f};
  AlphaBlend(src, m, 0.5, &dst);
  EXPECT_FLOAT_EQ(dst.at(0, 0)[0], 100.f);
  EXPECT_FLOAT_EQ(dst.at(1, 0)[2], 150.f);
}

TEST(BlendTest, PoissonRemovesAConstantOffset) {
  // Same gradients, different brightness: the clone must equal the destination.
  Image dst(120, 100), src(120, 100);
  for (int y = 0; y < 100; ++y)
    for (int x = 0; x < 120; ++x)
      for (int c = 0; c < 3; ++c) {
        dst.at(x, y)[c] = float(50 + x + 0.5 * y + 10 * c + 20 * std::sin(0.2 * x));
        src.at(x, y)[c] = dst.at(x, y)[c] + 60;
      }
  Image out;
  const double residual = PoissonBlend(src, Disc(120, 100, 35), dst, PoissonOptions{}, &out);
  EXPECT_LT(residual, 1e-3);
  double worst = 0;
  for (size_t i = 0; i < dst.data.size(); ++i)
    worst = std::max(worst, double(std::abs(out.data[i] - dst.data[i])));
  EXPECT_LT(worst, 0.5);
}

TEST(BlendTest, PoissonKeepsSourceDetailAndBoundary) {
  Image dst(96, 96, 80.f), src(96, 96);
  for (int y = 0; y < 96; ++y)
    for (int x = 0; x < 96; ++x)
      for (int c = 0; c < 3; ++c) src.at(x, y)[c] = float(200 + 30 * ((x / 4 + y / 4) % 2));
  const Mask m = Disc(96, 96, 30);
  Image out;
  PoissonBlend(src, m, dst, PoissonOptions{}, &out);
  // Outside the mask: untouched. Inside: the checkerboard's steps survive, and near the
  // boundary the level has moved to the destination's.
  EXPECT_FLOAT_EQ(out.at(2, 2)[0], 80.f);
  const double step = out.at(48, 48)[0] - out.at(44, 48)[0];
  EXPECT_NEAR(std::abs(step), 30, 3);
  EXPECT_NEAR(out.at(48, 19)[0], 80, 25);
  EXPECT_GT(std::abs(out.at(48, 48)[0] - 215), 40);  // not simply pasted
}

}  // namespace
}  // namespace train::synth
