// sRGB <-> Lab conversion and Reinhard mean/std colour transfer.
#include "train/synth/color_transfer.h"

#include <algorithm>
#include <cmath>

namespace train::synth {
namespace {

// D65 reference white in XYZ.
constexpr double kXn = 0.95047, kYn = 1.0, kZn = 1.08883;

// sRGB transfer function: c_lin = c / 12.92 for c <= 0.04045, else ((c + 0.055) / 1.055)^2.4.
double SrgbToLinear(double c) {
  return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}
double LinearToSrgb(double c) {
  return c <= 0.0031308 ? 12.92 * c : 1.055 * std::pow(std::max(c, 0.0), 1 / 2.4) - 0.055;
}
// Lab companding: f(t) = t^(1/3) above (6/29)^3, else linear t / (3 (6/29)^2) + 4/29.
double LabF(double t) {
  constexpr double d = 6.0 / 29;
  return t > d * d * d ? std::cbrt(t) : t / (3 * d * d) + 4.0 / 29;
}
double LabFInverse(double f) {
  constexpr double d = 6.0 / 29;
  return f > d ? f * f * f : 3 * d * d * (f - 4.0 / 29);
}

}  // namespace

void RgbToLab(const float rgb[3], float lab[3]) {
  const double r = SrgbToLinear(rgb[0] / 255.0), g = SrgbToLinear(rgb[1] / 255.0),
               b = SrgbToLinear(rgb[2] / 255.0);
  // Linear sRGB -> XYZ (IEC 61966-2-1 matrix).
  const double x = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b;
  const double y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
  const double z = 0.0193339 * r + 0.1191920 * g + 0.9503041 * b;
  const double fx = LabF(x / kXn), fy = LabF(y / kYn), fz = LabF(z / kZn);
  // L* = 116 f(Y/Yn) - 16, a* = 500 (f(X/Xn) - f(Y/Yn)), b* = 200 (f(Y/Yn) - f(Z/Zn)).
  lab[0] = static_cast<float>(116 * fy - 16);
  lab[1] = static_cast<float>(500 * (fx - fy));
  lab[2] = static_cast<float>(200 * (fy - fz));
}

void LabToRgb(const float lab[3], float rgb[3]) {
  const double fy = (lab[0] + 16) / 116.0;
  const double fx = fy + lab[1] / 500.0, fz = fy - lab[2] / 200.0;
  const double x = kXn * LabFInverse(fx), y = kYn * LabFInverse(fy), z = kZn * LabFInverse(fz);
  // XYZ -> linear sRGB (inverse of the matrix above).
  const double r = 3.2404542 * x - 1.5371385 * y - 0.4985314 * z;
  const double g = -0.9692660 * x + 1.8760108 * y + 0.0415560 * z;
  const double b = 0.0556434 * x - 0.2040259 * y + 1.0572252 * z;
  rgb[0] = static_cast<float>(255.0 * LinearToSrgb(r));
  rgb[1] = static_cast<float>(255.0 * LinearToSrgb(g));
  rgb[2] = static_cast<float>(255.0 * LinearToSrgb(b));
}

LabStats ComputeLabStats(const Image& image, const Mask& weights, const Rect& region) {
  double sum[3] = {0, 0, 0}, sum2[3] = {0, 0, 0}, total = 0;
  for (int y = region.y0; y < region.y1; ++y) {
    for (int x = region.x0; x < region.x1; ++x) {
      const double w = weights.at(x, y);
      if (w <= 0) continue;
      float lab[3];
      RgbToLab(image.at(x, y), lab);
      for (int c = 0; c < 3; ++c) sum[c] += w * lab[c], sum2[c] += w * lab[c] * lab[c];
      total += w;
    }
  }
  LabStats stats;
  stats.weight = total;
  if (total <= 0) return stats;
  for (int c = 0; c < 3; ++c) {
    stats.mean[c] = sum[c] / total;
    stats.stddev[c] = std::sqrt(std::max(sum2[c] / total - stats.mean[c] * stats.mean[c], 1e-6));
  }
  return stats;
}

LabStats BlendStats(const LabStats& previous, const LabStats& current, double momentum) {
  if (previous.weight <= 0) return current;
  if (current.weight <= 0) return previous;
  LabStats out = current;
  for (int c = 0; c < 3; ++c) {
    out.mean[c] = (1 - momentum) * current.mean[c] + momentum * previous.mean[c];
    out.stddev[c] = (1 - momentum) * current.stddev[c] + momentum * previous.stddev[c];
  }
  return out;
}

void TransferColor(const LabStats& from, const LabStats& to, double strength,
                   const float lab_offset[3], const Rect& region, const Mask* where, Image* image) {
  double scale[3];
  for (int c = 0; c < 3; ++c) scale[c] = std::clamp(to.stddev[c] / from.stddev[c], 0.33, 3.0);
  for (int y = region.y0; y < region.y1; ++y) {
    for (int x = region.x0; x < region.x1; ++x) {
      if (where != nullptr && where->at(x, y) <= 0) continue;
      float* px = image->at(x, y);
      float lab[3];
      RgbToLab(px, lab);
      for (int c = 0; c < 3; ++c) {
        const double mapped = (lab[c] - from.mean[c]) * scale[c] + to.mean[c];
        lab[c] = static_cast<float>(lab[c] + strength * (mapped - lab[c]) + lab_offset[c]);
      }
      LabToRgb(lab, px);
    }
  }
}

}  // namespace train::synth
