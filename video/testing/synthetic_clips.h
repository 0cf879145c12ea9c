// Test helper: encodes synthetic video clips with FFmpeg's encoders and muxers (no `ffmpeg`
// program needed), with rotation metadata, variable frame rate, odd sizes and any codec the
// installed libraries have. The default picture is a test pattern whose frame number and
// orientation tests can read back; a callback or an image (e.g. a face) can replace it.
#ifndef VIDEO_TESTING_SYNTHETIC_CLIPS_H_
#define VIDEO_TESTING_SYNTHETIC_CLIPS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "video/frame.h"

namespace video::testing {

// Fills a width*height*3 RGB canvas for frame `frame_index`.
using DrawFunction = std::function<void(int frame_index, int width, int height, uint8_t* rgb)>;

struct SyntheticClipOptions {
  std::string codec = "libx264";  // FFmpeg encoder name: libx264, libx265, libvpx-vp9, mpeg4,
                                  // gif, h263, wmv2, flv, mjpeg, ...
  std::string container;          // muxer name ("mp4", "matroska", ...); "" = from extension
  int width = 160, height = 120;
  int frames = 25;
  double fps = 25;
  // Clockwise display rotation (0/90/180/270) stored as a display matrix; the coded frames
  // stay width x height, a player shows them rotated.
  int rotation_degrees = 0;
  // First half of the frames at `fps`, the second half at fps / 2.
  bool variable_frame_rate = false;
  // Explicit presentation times in seconds (one per frame, increasing); overrides fps/VFR.
  std::vector<double> timestamps;
  int gop_size = 12;         // frames between keyframes
  std::string pixel_format;  // "" = yuv420p when the encoder takes it, else its first format
  std::map<std::string, std::string> encoder_options;  // e.g. {"crf", "18"}
  DrawFunction draw;                                   // null = DrawTestPattern
};

absl::Status WriteSyntheticClip(const std::string& path, const SyntheticClipOptions& options);

// Whether this FFmpeg build has an encoder / a muxer of that name.
bool HasEncoder(const std::string& name);
bool HasMuxer(const std::string& name);

// The test pattern (on the coded, unrotated frame):
//   top quarter: a red block in the left quarter (orientation marker), green elsewhere;
//   middle: grey background with a white square that moves with the frame number;
//   bottom quarter: kFrameNumberBits cells, white for 1 and black for 0, most significant
//   bit on the left: the frame number.
constexpr int kFrameNumberBits = 10;
void DrawTestPattern(int frame_index, int width, int height, uint8_t* rgb);
// Reads the frame number from an unrotated pattern frame; -1 when the cells are ambiguous.
int ReadFrameNumber(const Frame& frame);

// Pastes an RGB image (iw x ih) onto a canvas at (x, y), clipped to the canvas.
void PasteImage(const uint8_t* image, int iw, int ih, int x, int y, int width, int height,
                uint8_t* canvas);

// Copies the first `seconds` of a video file without re-encoding (packets from the start up
// to that time, video stream only); for trimming real clips into test data.
absl::Status TrimClip(const std::string& in_path, const std::string& out_path, double seconds);

}  // namespace video::testing

#endif  // VIDEO_TESTING_SYNTHETIC_CLIPS_H_
