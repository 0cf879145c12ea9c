// Convex hulls, polygon rasterization and feathered, deformable face masks.
#include "train/synth/mask.h"

#include <algorithm>
#include <cmath>

#include "nn/check.h"

namespace train::synth {

std::vector<Point> ConvexHull(std::vector<Point> p) {
  if (p.size() < 3) return p;
  std::sort(p.begin(), p.end(),
            [](const Point& a, const Point& b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
  auto cross = [](const Point& o, const Point& a, const Point& b) {
    return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
  };
  std::vector<Point> hull(2 * p.size());
  size_t k = 0;
  for (size_t i = 0; i < p.size(); ++i) {  // lower chain
    while (k >= 2 && cross(hull[k - 2], hull[k - 1], p[i]) <= 0) --k;
    hull[k++] = p[i];
  }
  for (size_t i = p.size() - 1, t = k + 1; i-- > 0;) {  // upper chain
    while (k >= t && cross(hull[k - 2], hull[k - 1], p[i]) <= 0) --k;
    hull[k++] = p[i];
  }
  hull.resize(k - 1);
  return hull;
}

Mask FillPolygon(const std::vector<Point>& polygon, int width, int height) {
  Mask mask(width, height, 0.f);
  if (polygon.size() < 3) return mask;
  const Rect r = BoundingRect(polygon, 1, width, height);
  std::vector<double> xs;
  for (int y = r.y0; y < r.y1; ++y) {
    // Scanline: crossings of the horizontal line through pixel centres with every edge.
    xs.clear();
    for (size_t i = 0; i < polygon.size(); ++i) {
      const Point& a = polygon[i];
      const Point& b = polygon[(i + 1) % polygon.size()];
      if ((a.y <= y && b.y > y) || (b.y <= y && a.y > y)) {
        xs.push_back(a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y));
      }
    }
    std::sort(xs.begin(), xs.end());
    for (size_t i = 0; i + 1 < xs.size(); i += 2) {
      const int x0 = std::max(r.x0, int(std::ceil(xs[i])));
      const int x1 = std::min(r.x1 - 1, int(std::floor(xs[i + 1])));
      for (int x = x0; x <= x1; ++x) mask.at(x, y) = 1.f;
    }
  }
  return mask;
}

const char* MaskShapeName(MaskShape shape) {
  switch (shape) {
    case MaskShape::kFullHull:
      return "full_hull";
    case MaskShape::kInnerFace:
      return "inner_face";
    case MaskShape::kLowerFace:
      return "lower_face";
    case MaskShape::kForeheadHull:
      return "forehead_hull";
  }
  return "?";
}

double FaceSize(const std::vector<Point>& lm) {
  NN_CHECK_EQ(lm.size(), 68u) << "FaceSize needs dlib's 68 landmarks";
  return std::max(1.0, std::hypot(lm[16].x - lm[0].x, lm[16].y - lm[0].y));
}

std::vector<Point> FaceMaskPolygon(const std::vector<Point>& lm, const MaskOptions& options) {
  NN_CHECK_EQ(lm.size(), 68u) << "face masks need dlib's 68 landmarks";
  std::vector<Point> chosen;
  switch (options.shape) {
    case MaskShape::kFullHull:
      chosen = lm;
      break;
    case MaskShape::kInnerFace:
      chosen.assign(lm.begin() + 17, lm.end());
      break;
    case MaskShape::kLowerFace:
      chosen.assign(lm.begin() + 2, lm.begin() + 15);                 // jaw without the temples
      chosen.insert(chosen.end(), lm.begin() + 27, lm.begin() + 36);  // nose
      chosen.push_back(lm[0]), chosen.push_back(lm[16]);
      chosen.push_back(lm[28]);
      break;
    case MaskShape::kForeheadHull: {
      chosen = lm;
      // Lift the brows away from the chin (point 8) to cover part of the forehead.
      for (int i = 17; i < 27; ++i) {
        chosen.push_back(
            {lm[i].x + 0.1 * (lm[i].x - lm[8].x), lm[i].y + 0.3 * (lm[i].y - lm[8].y)});
      }
      break;
    }
  }
  std::vector<Point> hull = ConvexHull(chosen);
  Point centre{0, 0};
  for (const Point& p : hull) centre.x += p.x / hull.size(), centre.y += p.y / hull.size();
  const double size = FaceSize(lm);
  // Deformation: a smooth random radial displacement r(theta) = size * deform *
  // sum_k a_k sin(k theta + phi_k), k = 1..4 with a_k ~ U(-1, 1) / k (low frequencies only,
  // so the boundary stays a plausible blob, as SBI's elastic mask deformation).
  double amp[5] = {0}, phase[5] = {0};
  if (options.deform > 0) {
    std::mt19937_64 rng(options.deform_seed);
    std::uniform_real_distribution<double> u(-1, 1), ph(0, 2 * M_PI);
    for (int k = 1; k <= 4; ++k) amp[k] = u(rng) / k, phase[k] = ph(rng);
  }
  std::vector<Point> out;
  out.reserve(hull.size() * 4);
  // Resample the hull densely so the deformation can bend long edges.
  for (size_t i = 0; i < hull.size(); ++i) {
    const Point& a = hull[i];
    const Point& b = hull[(i + 1) % hull.size()];
    const int steps = std::max(1, int(std::hypot(b.x - a.x, b.y - a.y) / (0.03 * size)));
    for (int s = 0; s < steps; ++s) {
      const double t = double(s) / steps;
      Point p{a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)};
      double dx = p.x - centre.x, dy = p.y - centre.y;
      const double r = std::hypot(dx, dy);
      if (r < 1e-9) continue;
      const double theta = std::atan2(dy, dx);
      double radial = r * (1 - options.shrink);
      for (int k = 1; k <= 4; ++k)
        radial += size * options.deform * amp[k] * std::sin(k * theta + phase[k]);
      radial = std::max(radial, 0.1 * r);
      out.push_back({centre.x + dx / r * radial, centre.y + dy / r * radial});
    }
  }
  return out;
}

Mask FaceMask(const std::vector<Point>& landmarks, int width, int height,
              const MaskOptions& options) {
  const std::vector<Point> polygon = FaceMaskPolygon(landmarks, options);
  const double sigma = options.feather * FaceSize(landmarks);
  if (sigma < 0.5) return FillPolygon(polygon, width, height);
  // Erode by shrinking the polygon ~2 sigma towards its centroid, then blur: the blurred
  // edge falls to ~0 at the original polygon's boundary.
  Point centre{0, 0};
  for (const Point& p : polygon) centre.x += p.x / polygon.size(), centre.y += p.y / polygon.size();
  std::vector<Point> eroded;
  for (const Point& p : polygon) {
    const double dx = p.x - centre.x, dy = p.y - centre.y, r = std::hypot(dx, dy);
    const double k = r > 1e-9 ? std::max(0.2, (r - 2 * sigma) / r) : 1.0;
    eroded.push_back({centre.x + dx * k, centre.y + dy * k});
  }
  Mask mask = FillPolygon(eroded, width, height);
  // Blur only the neighbourhood of the polygon (the rest stays 0).
  const Rect r = BoundingRect(polygon, 4 * sigma, width, height);
  Mask local(r.x1 - r.x0, r.y1 - r.y0);
  for (int y = r.y0; y < r.y1; ++y)
    for (int x = r.x0; x < r.x1; ++x) local.at(x - r.x0, y - r.y0) = mask.at(x, y);
  GaussianBlur(&local, sigma);
  for (int y = r.y0; y < r.y1; ++y)
    for (int x = r.x0; x < r.x1; ++x) mask.at(x, y) = local.at(x - r.x0, y - r.y0);
  return mask;
}

}  // namespace train::synth
