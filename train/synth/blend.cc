// Alpha compositing and Poisson seamless cloning (conjugate gradients on the mask region).
#include "train/synth/blend.h"

#include <algorithm>
#include <cmath>

#include "nn/check.h"

namespace train::synth {

void AlphaBlend(const Image& source, const Mask& mask, double ratio, Image* dst) {
  NN_CHECK(source.width == dst->width && source.height == dst->height && mask.width == dst->width &&
           mask.height == dst->height)
      << "AlphaBlend sizes: source " << source.width << "x" << source.height << ", mask "
      << mask.width << "x" << mask.height << ", dst " << dst->width << "x" << dst->height;
  for (size_t i = 0; i < mask.alpha.size(); ++i) {
    const float a = static_cast<float>(ratio * mask.alpha[i]);
    if (a <= 0) continue;
    for (int c = 0; c < 3; ++c) {
      float& d = dst->data[i * 3 + c];
      d += a * (source.data[i * 3 + c] - d);
    }
  }
}

double PoissonBlend(const Image& source, const Mask& mask, const Image& dst,
                    const PoissonOptions& options, Image* result) {
  NN_CHECK(source.width == dst.width && source.height == dst.height && mask.width == dst.width &&
           mask.height == dst.height)
      << "PoissonBlend sizes differ";
  *result = dst;
  const int w = dst.width, h = dst.height;
  // Number the unknowns (pixels of Omega); the image border never belongs to Omega so every
  // unknown has 4 neighbours inside the image.
  std::vector<int> id(size_t(w) * h, -1);
  std::vector<int> pixels;
  for (int y = 1; y < h - 1; ++y) {
    for (int x = 1; x < w - 1; ++x) {
      if (mask.at(x, y) > options.region_threshold) {
        id[size_t(y) * w + x] = static_cast<int>(pixels.size());
        pixels.push_back(y * w + x);
      }
    }
  }
  const size_t n = pixels.size();
  if (n == 0) return 0;
  // Coarse-to-fine initial guess: the correction f - g is harmonic (smooth) inside Omega,
  // so a half-resolution solution, upsampled, is already close and CG needs few iterations.
  Image guess = source;
  if (n > 4096 && w >= 64 && h >= 64) {
    const int hw = w / 2, hh = h / 2;
    Mask half(hw, hh);
    for (int y = 0; y < hh; ++y)
      for (int x = 0; x < hw; ++x)
        half.at(x, y) = 0.25f * (mask.at(2 * x, 2 * y) + mask.at(2 * x + 1, 2 * y) +
                                 mask.at(2 * x, 2 * y + 1) + mask.at(2 * x + 1, 2 * y + 1));
    const Image half_source = Resize(source, hw, hh);
    Image half_result;
    PoissonBlend(half_source, half, Resize(dst, hw, hh), options, &half_result);
    for (size_t i = 0; i < half_result.data.size(); ++i) half_result.data[i] -= half_source.data[i];
    const Image correction = Resize(half_result, w, h);
    for (size_t i = 0; i < guess.data.size(); ++i) guess.data[i] += correction.data[i];
  }
  const int offsets[4] = {-1, 1, -w, w};
  double worst = 0;
  std::vector<double> b(n), f(n), r(n), p(n), ap(n);
  for (int c = 0; c < 3; ++c) {
    // Right-hand side: guidance Laplacian plus the known boundary values.
    for (size_t i = 0; i < n; ++i) {
      const int q0 = pixels[i];
      const double g = source.data[size_t(q0) * 3 + c];
      double rhs = 0;
      for (int o : offsets) {
        const int q = q0 + o;
        rhs += g - source.data[size_t(q) * 3 + c];
        if (id[q] < 0) rhs += dst.data[size_t(q) * 3 + c];
      }
      b[i] = rhs;
      f[i] = guess.data[size_t(q0) * 3 + c];
    }
    // A x: 4 x_p - sum of neighbours inside Omega.
    auto apply = [&](const std::vector<double>& x, std::vector<double>* out) {
      for (size_t i = 0; i < n; ++i) {
        double v = 4 * x[i];
        for (int o : offsets) {
          const int j = id[pixels[i] + o];
          if (j >= 0) v -= x[j];
        }
        (*out)[i] = v;
      }
    };
    apply(f, &ap);
    double bnorm = 0, rr = 0;
    for (size_t i = 0; i < n; ++i) {
      r[i] = b[i] - ap[i];
      p[i] = r[i];
      rr += r[i] * r[i];
      bnorm += b[i] * b[i];
    }
    bnorm = std::sqrt(std::max(bnorm, 1e-12));
    for (int it = 0; it < options.max_iterations && std::sqrt(rr) / bnorm > options.tolerance;
         ++it) {
      apply(p, &ap);
      double pap = 0;
      for (size_t i = 0; i < n; ++i) pap += p[i] * ap[i];
      if (pap <= 0) break;
      const double alpha = rr / pap;
      double rr_next = 0;
      for (size_t i = 0; i < n; ++i) {
        f[i] += alpha * p[i];
        r[i] -= alpha * ap[i];
        rr_next += r[i] * r[i];
      }
      const double beta = rr_next / rr;
      rr = rr_next;
      for (size_t i = 0; i < n; ++i) p[i] = r[i] + beta * p[i];
    }
    worst = std::max(worst, std::sqrt(rr) / bnorm);
    for (size_t i = 0; i < n; ++i)
      result->data[size_t(pixels[i]) * 3 + c] = static_cast<float>(f[i]);
  }
  return worst;
}

}  // namespace train::synth
