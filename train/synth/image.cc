// Float RGB images and masks: conversions, bilinear sampling, resizing, Gaussian blur.
#include "train/synth/image.h"

#include <algorithm>
#include <cmath>

#include "nn/check.h"

namespace train::synth {

Image ImageFromRgb8(const uint8_t* rgb, int width, int height) {
  Image image(width, height);
  for (size_t i = 0; i < image.data.size(); ++i) image.data[i] = rgb[i];
  return image;
}

std::vector<uint8_t> ImageToRgb8(const Image& image) {
  std::vector<uint8_t> rgb(image.data.size());
  for (size_t i = 0; i < rgb.size(); ++i) {
    rgb[i] = static_cast<uint8_t>(std::clamp(std::lround(image.data[i]), 0L, 255L));
  }
  return rgb;
}

void SampleBilinear(const Image& image, double x, double y, float out[3]) {
  x = std::clamp(x, 0.0, image.width - 1.0);
  y = std::clamp(y, 0.0, image.height - 1.0);
  const int x0 = static_cast<int>(x), y0 = static_cast<int>(y);
  const int x1 = std::min(x0 + 1, image.width - 1), y1 = std::min(y0 + 1, image.height - 1);
  const float fx = static_cast<float>(x - x0), fy = static_cast<float>(y - y0);
  const float *p00 = image.at(x0, y0), *p01 = image.at(x1, y0);
  const float *p10 = image.at(x0, y1), *p11 = image.at(x1, y1);
  for (int c = 0; c < 3; ++c) {
    const float top = p00[c] + (p01[c] - p00[c]) * fx;
    const float bottom = p10[c] + (p11[c] - p10[c]) * fx;
    out[c] = top + (bottom - top) * fy;
  }
}

Image Resize(const Image& image, int width, int height) {
  NN_CHECK(width > 0 && height > 0) << "Resize to " << width << "x" << height;
  const double sx = double(image.width) / width, sy = double(image.height) / height;
  const Image* source = &image;
  Image blurred;
  const double shrink = std::max(sx, sy);
  if (shrink > 2.0) {
    // Anti-aliasing: a Gaussian with sigma ~ half the shrink factor approximates the box
    // filter of area averaging.
    blurred = image;
    GaussianBlur(&blurred, 0.5 * shrink);
    source = &blurred;
  }
  Image out(width, height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      // Pixel centres map as (x + 0.5) * s - 0.5.
      SampleBilinear(*source, (x + 0.5) * sx - 0.5, (y + 0.5) * sy - 0.5, out.at(x, y));
    }
  }
  return out;
}

namespace {

std::vector<float> GaussianKernel(double sigma) {
  const int radius = std::max(1, static_cast<int>(std::ceil(3.0 * sigma)));
  std::vector<float> kernel(2 * radius + 1);
  double sum = 0;
  for (int i = -radius; i <= radius; ++i) {
    sum += kernel[i + radius] = static_cast<float>(std::exp(-0.5 * i * i / (sigma * sigma)));
  }
  for (float& k : kernel) k = static_cast<float>(k / sum);
  return kernel;
}

// Blurs `channels` interleaved planes of a width x height buffer, rows then columns.
void BlurPlanes(float* data, int width, int height, int channels, double sigma) {
  if (sigma <= 0 || width == 0 || height == 0) return;
  const std::vector<float> kernel = GaussianKernel(sigma);
  const int radius = static_cast<int>(kernel.size() / 2);
  std::vector<float> line(size_t(std::max(width, height)) * channels);
  for (int y = 0; y < height; ++y) {  // horizontal pass
    float* row = data + size_t(y) * width * channels;
    std::copy(row, row + size_t(width) * channels, line.begin());
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < channels; ++c) {
        float acc = 0;
        for (int k = -radius; k <= radius; ++k) {
          const int xx = std::clamp(x + k, 0, width - 1);
          acc += kernel[k + radius] * line[size_t(xx) * channels + c];
        }
        row[size_t(x) * channels + c] = acc;
      }
    }
  }
  const size_t stride = size_t(width) * channels;
  for (int x = 0; x < width; ++x) {  // vertical pass
    for (int y = 0; y < height; ++y) {
      for (int c = 0; c < channels; ++c)
        line[size_t(y) * channels + c] = data[y * stride + x * channels + c];
    }
    for (int y = 0; y < height; ++y) {
      for (int c = 0; c < channels; ++c) {
        float acc = 0;
        for (int k = -radius; k <= radius; ++k) {
          const int yy = std::clamp(y + k, 0, height - 1);
          acc += kernel[k + radius] * line[size_t(yy) * channels + c];
        }
        data[y * stride + x * channels + c] = acc;
      }
    }
  }
}

}  // namespace

void GaussianBlur(Image* image, double sigma) {
  BlurPlanes(image->data.data(), image->width, image->height, 3, sigma);
}

void GaussianBlur(Mask* mask, double sigma) {
  BlurPlanes(mask->alpha.data(), mask->width, mask->height, 1, sigma);
}

Rect BoundingRect(const std::vector<Point>& points, double margin, int width, int height) {
  if (points.empty()) return {};
  double x0 = points[0].x, x1 = x0, y0 = points[0].y, y1 = y0;
  for (const Point& p : points) {
    x0 = std::min(x0, p.x), x1 = std::max(x1, p.x);
    y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
  }
  Rect r;
  r.x0 = std::clamp(static_cast<int>(std::floor(x0 - margin)), 0, width);
  r.y0 = std::clamp(static_cast<int>(std::floor(y0 - margin)), 0, height);
  r.x1 = std::clamp(static_cast<int>(std::ceil(x1 + margin)) + 1, 0, width);
  r.y1 = std::clamp(static_cast<int>(std::ceil(y1 + margin)) + 1, 0, height);
  return r;
}

Rect MaskSupport(const Mask& mask, float threshold) {
  Rect r{mask.width, mask.height, 0, 0};
  for (int y = 0; y < mask.height; ++y) {
    for (int x = 0; x < mask.width; ++x) {
      if (mask.at(x, y) > threshold) {
        r.x0 = std::min(r.x0, x), r.x1 = std::max(r.x1, x + 1);
        r.y0 = std::min(r.y0, y), r.y1 = std::max(r.y1, y + 1);
      }
    }
  }
  if (r.empty()) return {};
  return r;
}

}  // namespace train::synth
