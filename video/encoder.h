// video::Encoder: writes RGB frames to an H.264 (libx264) MP4 with a constant rate factor,
// in a fixed, single-threaded configuration so the same frames give the same bytes.
// Used to produce datasets (real and synthetic-fake clips re-encoded alike).
#ifndef VIDEO_ENCODER_H_
#define VIDEO_ENCODER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "video/frame.h"

namespace video {

struct EncoderOptions {
  int crf = 23;                     // libx264 constant rate factor, 0 (lossless) .. 51
  std::string preset = "veryfast";  // libx264 preset
  double frame_rate = 25;           // constant output frame rate (> 0)
  int gop_size = 50;                // frames between keyframes
};

// Frames must all have the size given to Open, which must be even (4:2:0 chroma).
class Encoder {
 public:
  static absl::StatusOr<std::unique_ptr<Encoder>> Open(const std::string& path, int width,
                                                       int height,
                                                       const EncoderOptions& options = {});
  ~Encoder();
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  // Encodes the next frame (its index and timestamp are ignored: frames are numbered in order).
  absl::Status Write(const Frame& frame);
  // Flushes the encoder and finishes the file. Must be called once; the destructor of an
  // unclosed encoder discards the output's tail.
  absl::Status Close();

  int64_t frames_written() const;

  struct State;

 private:
  explicit Encoder(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace video

#endif  // VIDEO_ENCODER_H_
