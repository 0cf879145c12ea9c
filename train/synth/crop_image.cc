// Planar float crops <-> interleaved Image.
#include "train/synth/crop_image.h"

#include <algorithm>
#include <cstddef>

namespace train::synth {

Image CropFrameToImage(const float* planes, int width, int height) {
  Image image(width, height);
  const size_t plane = size_t(width) * height;
  for (size_t i = 0; i < plane; ++i)
    for (int c = 0; c < 3; ++c) image.data[i * 3 + c] = planes[c * plane + i] * 255.f;
  return image;
}

void ImageToCropFrame(const Image& image, float* planes) {
  const size_t plane = size_t(image.width) * image.height;
  for (size_t i = 0; i < plane; ++i)
    for (int c = 0; c < 3; ++c)
      planes[c * plane + i] = std::clamp(image.data[i * 3 + c] / 255.f, 0.f, 1.f);
}

}  // namespace train::synth
