// video::Decoder: decodes any video FFmpeg's libraries can (files, URLs, pipes, V4L2
// webcams) into RGB frames, honouring rotation metadata and variable frame rate, with
// keyframe seeking. Damaged input decodes as far as it is readable; the damage is reported
// in DecodeReport. Every failure is an absl::Status naming the input and the problem.
#ifndef VIDEO_DECODER_H_
#define VIDEO_DECODER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "video/frame.h"

namespace video {

struct VideoInfo {
  std::string path;              // as given to Open (or the name given to OpenMemory)
  std::string container;         // FFmpeg demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
  std::string codec;             // FFmpeg codec name, e.g. "h264"
  int width = 0, height = 0;     // displayed, after rotation
  int rotation_degrees = 0;      // clockwise rotation applied to the coded frames: 0/90/180/270
  double duration_seconds = 0;   // 0 when unknown (live capture, some pipes)
  double frame_rate = 0;         // the base rate when constant, else the average; 0 when unknown
  int64_t estimated_frames = 0;  // from the container, or duration * frame_rate; 0 if unknown
  bool variable_frame_rate = false;
  bool seekable = false;  // DecodeAt can seek (false for pipes and live capture)
};

struct DecodeReport {
  int64_t frames_decoded = 0;   // frames the codec produced (including those skipped)
  int64_t packets_corrupt = 0;  // packets or frames the codec flagged as damaged
  // Human-readable, each naming the input, e.g.
  // "clip.mp4: decode error at 3.2 s: Invalid data found when processing input (skipped)".
  std::vector<std::string> warnings;
};

struct OpenOptions {
  std::string input_format;  // "" = probe; "v4l2" for webcams, "lavfi", "mjpeg", ...
  // Demuxer/device options, e.g. {"video_size", "640x480"}, {"framerate", "30"}.
  std::map<std::string, std::string> format_options;
  int max_width = 7680,
      max_height = 4320;    // larger (coded or displayed) is an error naming the size
  int decoder_threads = 0;  // 0 = FFmpeg's choice
  // Bounds on waiting for a live input: a FIFO or pipe ("pipe:N"), a device or lavfi
  // (input_format), a URL. Regular files and memory never wait, so these do not apply to
  // them. open_timeout_seconds covers opening the input and reading its stream information
  // (a FIFO nobody writes to, a camera that never delivers, a dead URL); read_timeout_seconds
  // each wait for more data while decoding (a stalled feed: the frames already received are
  // returned first). Past either, a DeadlineExceeded status names the input and the limit.
  // 0 = wait forever.
  double open_timeout_seconds = 30;
  double read_timeout_seconds = 30;
};

// Whether an Open error means the input is a video container (by its header or its opened
// format) that is broken (truncated, corrupt stream information), rather than something
// that is not a video at all. Marked by a payload on the status, not by its message.
bool IsDamagedInputError(const absl::Status& status);

class Decoder {
 public:
  // Opens a file path, FFmpeg URL ("pipe:0", "rtsp://...") or device ("/dev/video0" with
  // input_format "v4l2"), picks the best video stream and checks its size against the limits.
  // A FIFO path or "pipe:N" is read through a non-blocking descriptor of the decoder's own
  // (the caller's is left as it is), so the timeouts of OpenOptions bound its waits too.
  static absl::StatusOr<std::unique_ptr<Decoder>> Open(const std::string& path_or_url,
                                                       const OpenOptions& options = {});
  // Decodes a video held in memory (an upload, a fuzzer input) through a custom AVIOContext.
  // `name` is used in messages and VideoInfo::path. The bytes are copied.
  static absl::StatusOr<std::unique_ptr<Decoder>> OpenMemory(const std::string& name,
                                                             std::string_view bytes,
                                                             const OpenOptions& options = {});
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  const VideoInfo& info() const;
  // The next frame in presentation order; nullopt at the end of the video. Damaged packets
  // are skipped and reported; an error means decoding cannot continue.
  absl::StatusOr<std::optional<Frame>> Next();
  // Like Next(), but frames for which want(index, timestamp_seconds) is false are decoded
  // and dropped without the RGB conversion (the costly part at high resolutions). Returns
  // the first wanted frame; nullopt at the end or after `max_frames` unwanted frames.
  absl::StatusOr<std::optional<Frame>> NextWanted(
      const std::function<bool(int64_t index, double timestamp_seconds)>& want, int64_t max_frames);
  // Seeks to the keyframe at or before `timestamp_seconds` and decodes forward to the first
  // frame with timestamp >= timestamp_seconds (minus kTimestampTolerance); nullopt when the
  // video ends before it. When the container's index shows no keyframe between the current
  // position and the target, it decodes forward instead of seeking (cheaper). Without seeking
  // support it decodes forward from the current position (and fails for a time already passed).
  // Later Next() calls continue from there.
  absl::StatusOr<std::optional<Frame>> DecodeAt(double timestamp_seconds);
  // Time of the last keyframe at or before `timestamp_seconds` in the container's index;
  // nullopt without one (no index, live input, or no keyframe entry there).
  std::optional<double> KeyframeAtOrBefore(double timestamp_seconds) const;
  const DecodeReport& report() const;
  // Adds a warning, prefixed with the input's name, to report() (for callers such as
  // SampleFrames that stop early).
  void AddWarning(const std::string& message);

  // Frames this close before a requested time count as "at" it (absorbs rounding).
  static constexpr double kTimestampTolerance = 1e-4;
  // Decoding stops with an error when this many packets in a row yield no frame.
  static constexpr int kMaxPacketsWithoutFrame = 2000;

  class Impl;

 private:
  explicit Decoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace video

#endif  // VIDEO_DECODER_H_
