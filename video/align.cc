// Aligned and exact-box face crops, sampled bilinearly from the frame's RGB bytes.
#include "video/align.h"

#include <algorithm>
#include <cmath>
#include <complex>

#include "nn/check.h"

namespace video {

CropTransform AlignedCropTransform(const FaceLandmarks& landmarks, double margin, int size) {
  NN_CHECK(margin > 0 && size > 0) << "margin " << margin << ", size " << size;
  using C = std::complex<double>;
  const Point2 le = landmarks.ImageLeftEyeCenter();
  const Point2 re = landmarks.ImageRightEyeCenter();
  const Point2 mo = landmarks.MouthCenter();
  const C tmpl[3] = {{kTemplateLeftEyeX, kTemplateEyeY},
                     {kTemplateRightEyeX, kTemplateEyeY},
                     {kTemplateMouthX, kTemplateMouthY}};
  const C image[3] = {{le.x, le.y}, {re.x, re.y}, {mo.x, mo.y}};
  const C tmpl_mean = (tmpl[0] + tmpl[1] + tmpl[2]) / 3.0;
  const C image_mean = (image[0] + image[1] + image[2]) / 3.0;
  // Least squares for image = s * tmpl + t with complex s (rotation + scale) and t.
  C numerator = 0;
  double denominator = 0;
  for (int i = 0; i < 3; ++i) {
    numerator += (image[i] - image_mean) * std::conj(tmpl[i] - tmpl_mean);
    denominator += std::norm(tmpl[i] - tmpl_mean);
  }
  const C s = numerator / denominator;
  const C t = image_mean - s * tmpl_mean;
  // Crop pixel (u, v) -> unit-box point p = k*(u, v) + o, centred on the box's centre.
  const double k = margin / size;
  const double o = 0.5 - 0.5 * margin;
  const double alpha = s.real(), beta = s.imag();
  CropTransform transform;
  transform.a = alpha * k;
  transform.b = -beta * k;
  transform.c = (alpha - beta) * o + t.real();
  transform.d = beta * k;
  transform.e = alpha * k;
  transform.f = (alpha + beta) * o + t.imag();
  return transform;
}

std::vector<uint8_t> SampleCrop(const Frame& frame, const CropTransform& transform, int size,
                                const SampleOptions& options) {
  NN_CHECK_GT(size, 0);
  NN_CHECK_EQ(frame.rgb.size(), static_cast<size_t>(frame.width) * frame.height * 3);
  std::vector<uint8_t> out(static_cast<size_t>(size) * size * 3, 0);
  const CropTransform& m = transform;
  // Frame pixels one crop pixel spans along its longer axis.
  const double footprint = std::max(std::hypot(m.a, m.d), std::hypot(m.b, m.e));
  const int taps =
      options.antialias ? std::clamp(static_cast<int>(std::ceil(footprint - 1e-6)), 1, 8) : 1;
  int x_lo = 0, y_lo = 0, x_hi = frame.width - 1, y_hi = frame.height - 1;
  if (options.clamp) {
    x_lo = std::max(0, options.clamp_left);
    y_lo = std::max(0, options.clamp_top);
    x_hi = std::min(frame.width, options.clamp_right) - 1;
    y_hi = std::min(frame.height, options.clamp_bottom) - 1;
    NN_CHECK(x_lo <= x_hi && y_lo <= y_hi) << "empty clamp rectangle";
  }
  const uint8_t* rgb = frame.rgb.data();
  const int width = frame.width;
  // Accumulates weight * pixel of tap (x, y) into acc; taps outside the frame are black.
  auto add_tap = [&](int x, int y, double w, double* acc) {
    if (options.clamp) {
      x = std::clamp(x, x_lo, x_hi);
      y = std::clamp(y, y_lo, y_hi);
    } else if (x < 0 || y < 0 || x >= frame.width || y >= frame.height) {
      return;
    }
    const uint8_t* p = rgb + (static_cast<size_t>(y) * width + x) * 3;
    acc[0] += w * p[0];
    acc[1] += w * p[1];
    acc[2] += w * p[2];
  };
  const double tap_weight = 1.0 / (taps * taps);
  for (int v = 0; v < size; ++v) {
    for (int u = 0; u < size; ++u) {
      double acc[3] = {0, 0, 0};
      for (int j = 0; j < taps; ++j) {
        const double vv = v + (j + 0.5) / taps;
        for (int i = 0; i < taps; ++i) {
          const double uu = u + (i + 0.5) / taps;
          // Frame coordinates, then the pixel grid (centres at integer + 0.5).
          const double sx = m.a * uu + m.b * vv + m.c - 0.5;
          const double sy = m.d * uu + m.e * vv + m.f - 0.5;
          const double fx0 = std::floor(sx), fy0 = std::floor(sy);
          if (fx0 < -2 || fy0 < -2 || fx0 > width + 1 || fy0 > frame.height + 1) {
            if (!options.clamp) continue;
          }
          const int x0 = static_cast<int>(std::clamp(fx0, -2.0, width + 1.0));
          const int y0 = static_cast<int>(std::clamp(fy0, -2.0, frame.height + 1.0));
          const double fx = std::clamp(sx - x0, 0.0, 1.0), fy = std::clamp(sy - y0, 0.0, 1.0);
          add_tap(x0, y0, tap_weight * (1 - fx) * (1 - fy), acc);
          add_tap(x0 + 1, y0, tap_weight * fx * (1 - fy), acc);
          add_tap(x0, y0 + 1, tap_weight * (1 - fx) * fy, acc);
          add_tap(x0 + 1, y0 + 1, tap_weight * fx * fy, acc);
        }
      }
      uint8_t* o = out.data() + (static_cast<size_t>(v) * size + u) * 3;
      for (int c = 0; c < 3; ++c) {
        o[c] = static_cast<uint8_t>(std::clamp(std::lround(acc[c]), 0L, 255L));
      }
    }
  }
  return out;
}

bool ExactBoxCrop(const Frame& frame, const FaceBox& box, int size, std::vector<uint8_t>* rgb) {
  rgb->clear();
  const int left = std::max(0, static_cast<int>(std::lround(box.left)));
  const int top = std::max(0, static_cast<int>(std::lround(box.top)));
  const int right = std::min(frame.width, static_cast<int>(std::lround(box.right)));
  const int bottom = std::min(frame.height, static_cast<int>(std::lround(box.bottom)));
  if (right <= left || bottom <= top) return false;
  CropTransform transform;
  transform.a = static_cast<double>(right - left) / size;
  transform.b = 0;
  transform.c = left;
  transform.d = 0;
  transform.e = static_cast<double>(bottom - top) / size;
  transform.f = top;
  SampleOptions options;
  options.antialias = false;
  options.clamp = true;
  options.clamp_left = left;
  options.clamp_top = top;
  options.clamp_right = right;
  options.clamp_bottom = bottom;
  *rgb = SampleCrop(frame, transform, size, options);
  return true;
}

std::vector<uint8_t> CropFace(const Frame& frame, const FaceBox& box,
                              const FaceLandmarks* landmarks, const CropOptions& options) {
  NN_CHECK_GT(options.size, 0);
  if (options.mode == CropMode::kAligned) {
    NN_CHECK(landmarks != nullptr) << "an aligned crop needs landmarks";
    return SampleCrop(frame, AlignedCropTransform(*landmarks, options.margin, options.size),
                      options.size);
  }
  std::vector<uint8_t> rgb;
  if (!ExactBoxCrop(frame, box, options.size, &rgb)) {
    rgb.assign(static_cast<size_t>(options.size) * options.size * 3, 0);
  }
  return rgb;
}

}  // namespace video
