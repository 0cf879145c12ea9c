// Synthetic faces with known landmarks, for tests.
#include "train/synth/synthetic_faces.h"

#include <algorithm>
#include <cmath>

#include "train/synth/face_template.h"
#include "train/synth/mask.h"
#include "train/synth/warp.h"

namespace train::synth::testing {

Landmarks SyntheticLandmarks(int width, int height, int64_t index) {
  Landmarks lm = MeanFaceLandmarks();
  const double size = 0.55 * std::min(width, height);
  const double cx = width / 2.0 + 3 * std::sin(0.2 * index);
  const double cy = height / 2.0 + 2 * std::cos(0.15 * index);
  for (Point& p : lm) p = {cx + (p.x - 0.49) * size, cy + (p.y - 0.5) * size};
  return lm;
}

Image RenderSyntheticFace(int width, int height, int64_t index, int identity) {
  const Landmarks lm = SyntheticLandmarks(width, height, index);
  const Landmarks unit = MeanFaceLandmarks();
  Image image(width, height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      float* p = image.at(x, y);
      p[0] = 60.f + 100.f * x / width + 30 * identity;
      p[1] = 90.f + 60.f * y / height;
      p[2] = 150.f - 40.f * identity;
    }
  }
  const Mask face = FillPolygon(ConvexHull(lm), width, height);
  // Face coordinates of each pixel: invert the similarity that placed the mean face.
  const Landmarks inverse_probe = ApplySimilarity(lm, unit, {{0, 0}, {1, 0}, {0, 1}});
  const double skin[4][3] = {{200, 150, 120}, {235, 205, 190}, {120, 80, 60}, {170, 120, 100}};
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      if (face.at(x, y) <= 0) continue;
      const double u = inverse_probe[0].x + x * (inverse_probe[1].x - inverse_probe[0].x) +
                       y * (inverse_probe[2].x - inverse_probe[0].x);
      const double v = inverse_probe[0].y + x * (inverse_probe[1].y - inverse_probe[0].y) +
                       y * (inverse_probe[2].y - inverse_probe[0].y);
      double texture = 0;
      if (identity == 0) texture = std::sin(2 * M_PI * v / 0.08);
      if (identity == 1) texture = std::sin(2 * M_PI * u / 0.08);
      if (identity == 2) texture = std::sin(2 * M_PI * u / 0.1) * std::sin(2 * M_PI * v / 0.1);
      if (identity == 3) texture = std::sin(2 * M_PI * (u + v) / 0.09);
      float* p = image.at(x, y);
      for (int c = 0; c < 3; ++c) p[c] = static_cast<float>(skin[identity % 4][c] + 35 * texture);
    }
  }
  // Eyes and mouth: dark polygons on their landmarks.
  for (auto [first, last] : {std::pair{36, 41}, std::pair{42, 47}, std::pair{48, 59}}) {
    const Mask feature =
        FillPolygon(Landmarks(lm.begin() + first, lm.begin() + last + 1), width, height);
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x)
        if (feature.at(x, y) > 0) {
          float* p = image.at(x, y);
          p[0] = first == 48 ? 150.f : 30.f, p[1] = 30.f, p[2] = 40.f;
        }
  }
  return image;
}

double AlignedFaceDistance(const Image& image, const Landmarks& landmarks, const Image& reference,
                           const Landmarks& reference_landmarks) {
  Image aligned(reference.width, reference.height);
  WarpPiecewiseAffine(image, landmarks, reference_landmarks,
                      DelaunayTriangulate(reference_landmarks), &aligned, nullptr);
  MaskOptions inner;
  inner.shape = MaskShape::kInnerFace;
  inner.shrink = 0.1;
  inner.feather = 0;
  const Mask mask = FaceMask(reference_landmarks, reference.width, reference.height, inner);
  auto normalized = [&](const Image& im) {
    std::vector<double> out;
    for (int c = 0; c < 3; ++c) {
      double sum = 0, sum2 = 0, n = 0;
      for (size_t i = 0; i < mask.alpha.size(); ++i)
        if (mask.alpha[i] > 0)
          sum += im.data[i * 3 + c], sum2 += im.data[i * 3 + c] * im.data[i * 3 + c], ++n;
      const double mean = sum / n, sd = std::sqrt(std::max(sum2 / n - mean * mean, 1e-6));
      for (size_t i = 0; i < mask.alpha.size(); ++i)
        if (mask.alpha[i] > 0) out.push_back((im.data[i * 3 + c] - mean) / sd);
    }
    return out;
  };
  const std::vector<double> a = normalized(aligned), b = normalized(reference);
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d += std::abs(a[i] - b[i]);
  return d / std::max<size_t>(1, a.size());
}

absl::StatusOr<std::optional<Landmarks>> SyntheticLandmarkSource::Detect(
    const video::Frame& frame, const std::optional<Landmarks>&) const {
  return std::optional<Landmarks>(SyntheticLandmarks(frame.width, frame.height, frame.index));
}

}  // namespace train::synth::testing
