// Float RGB images and single-channel masks for the synthetic-deepfake generator: the pixel
// containers, conversions from/to 8-bit RGB frames, bilinear sampling, resizing and blur.
#ifndef TRAIN_SYNTH_IMAGE_H_
#define TRAIN_SYNTH_IMAGE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace train::synth {

// A 2-D point in pixel coordinates (x right, y down; pixel centres at integers).
struct Point {
  double x = 0, y = 0;
};

// Interleaved RGB, row-major, values in [0, 255] (not clamped while processing).
struct Image {
  int width = 0, height = 0;
  std::vector<float> data;  // height * width * 3

  Image() = default;
  Image(int w, int h, float fill = 0.f) : width(w), height(h), data(size_t(w) * h * 3, fill) {}
  float* at(int x, int y) { return data.data() + (size_t(y) * width + x) * 3; }
  const float* at(int x, int y) const { return data.data() + (size_t(y) * width + x) * 3; }
};

// One value per pixel, usually an alpha in [0, 1].
struct Mask {
  int width = 0, height = 0;
  std::vector<float> alpha;  // height * width

  Mask() = default;
  Mask(int w, int h, float fill = 0.f) : width(w), height(h), alpha(size_t(w) * h, fill) {}
  float& at(int x, int y) { return alpha[size_t(y) * width + x]; }
  float at(int x, int y) const { return alpha[size_t(y) * width + x]; }
};

// An axis-aligned pixel rectangle [x0, x1) x [y0, y1).
struct Rect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool empty() const { return x1 <= x0 || y1 <= y0; }
};

Image ImageFromRgb8(const uint8_t* rgb, int width, int height);
// Rounds and clamps to [0, 255].
std::vector<uint8_t> ImageToRgb8(const Image& image);

// Bilinear sample at (x, y) with edge clamping; writes 3 channels to `out`.
void SampleBilinear(const Image& image, double x, double y, float out[3]);

// Bilinear resize; downscaling by more than 2x first blurs (anti-aliasing), so a
// downscale-then-upscale really loses detail the way a low-resolution source would.
Image Resize(const Image& image, int width, int height);

// Separable Gaussian blur in place (sigma in pixels; <= 0 is a no-op). Edges clamp.
void GaussianBlur(Image* image, double sigma);
void GaussianBlur(Mask* mask, double sigma);

// The smallest rectangle holding all points, grown by `margin` and clipped to the image.
Rect BoundingRect(const std::vector<Point>& points, double margin, int width, int height);
// The pixels of `mask` above `threshold`, as a rectangle (empty when none).
Rect MaskSupport(const Mask& mask, float threshold);

}  // namespace train::synth

#endif  // TRAIN_SYNTH_IMAGE_H_
