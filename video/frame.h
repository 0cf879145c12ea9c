// One decoded video frame as RGB pixels, with its position in the video.
#ifndef VIDEO_FRAME_H_
#define VIDEO_FRAME_H_

#include <cstdint>
#include <vector>

namespace video {

struct Frame {
  // Decoded frame number in presentation order, 0-based. Exact when frames were decoded
  // from the start; after a seek it is estimated from the timestamp and the average frame
  // rate (exact for constant frame rate).
  int64_t index = 0;
  // Presentation time in seconds from the start of the video stream (pts * time_base,
  // minus the stream's start time).
  double timestamp_seconds = 0;
  int width = 0, height = 0;  // displayed size, after rotation
  // height * width * 3 bytes, row-major RGB (full range), rotation already applied.
  std::vector<uint8_t> rgb;

  // Pixel accessors for tests and debugging (no bounds checks).
  const uint8_t* pixel(int x, int y) const { return rgb.data() + (size_t(y) * width + x) * 3; }
};

}  // namespace video

#endif  // VIDEO_FRAME_H_
