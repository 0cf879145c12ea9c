// Conversions between one frame of the loader's crop tensors (planar float RGB [3, H, W] in
// [0, 1]) and the synthesis code's interleaved Image (values in [0, 255]).
#ifndef TRAIN_SYNTH_CROP_IMAGE_H_
#define TRAIN_SYNTH_CROP_IMAGE_H_

#include "train/synth/image.h"

namespace train::synth {

// planes: 3 * width * height floats, channel-major.
Image CropFrameToImage(const float* planes, int width, int height);
// Writes `image` back as planes, divided by 255 and clamped to [0, 1].
void ImageToCropFrame(const Image& image, float* planes);

}  // namespace train::synth

#endif  // TRAIN_SYNTH_CROP_IMAGE_H_
