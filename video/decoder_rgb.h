// Turns decoded AVFrames into RGB24 video::Frame pixels: swscale with the frame's colour
// matrix and range (full-range RGB out), then an exact 90/180/270 degree rotation.
#ifndef VIDEO_DECODER_RGB_H_
#define VIDEO_DECODER_RGB_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "video/frame.h"

struct AVFrame;
struct SwsContext;

namespace video {

// Rotates a row-major RGB image clockwise by 0, 90, 180 or 270 degrees into `out`
// (resized); `out_width`/`out_height` receive the rotated size.
void RotateRgb(const uint8_t* rgb, int width, int height, int clockwise_degrees,
               std::vector<uint8_t>* out, int* out_width, int* out_height);

class RgbConverter {
 public:
  RgbConverter() = default;
  ~RgbConverter();
  RgbConverter(const RgbConverter&) = delete;
  RgbConverter& operator=(const RgbConverter&) = delete;

  // Fills out->width, height and rgb from `frame`, rotated clockwise by `rotation_degrees`.
  // Errors (unsupported pixel format) do not name the file; the caller adds it.
  absl::Status Convert(const AVFrame& frame, int rotation_degrees, Frame* out);

 private:
  SwsContext* sws_ = nullptr;
  std::vector<uint8_t> scratch_;  // unrotated pixels when a rotation follows
};

}  // namespace video

#endif  // VIDEO_DECODER_RGB_H_
