// Decoder implementation on libavformat/libavcodec/libswscale: open and probe, the
// send/receive decode loop with bounds against broken streams and stalled live inputs
// (deadlines through AVIOInterruptCB), seeking, RGB conversion with the stream's colour
// matrix and range, and exact 90/180/270 degree rotation.
#include "video/decoder.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "nn/check.h"
#include "video/avio_memory.h"
#include "video/decoder_rgb.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/time.h>
}

namespace video {
namespace {

constexpr int kMaxWarnings = 50;
constexpr int kMaxConsecutiveDecodeErrors = 500;
constexpr int kMaxOtherStreamPackets = 100000;  // packets of other streams in a row
constexpr int kMaxEagainRetries = 1000;  // x 10 ms: a silent input that is a regular file, 10 s

std::string AvErrorText(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof(text));
  return text;
}

absl::StatusCode CodeFor(int av_error) {
  switch (av_error) {
    case AVERROR(ENOENT):
      return absl::StatusCode::kNotFound;
    case AVERROR(EACCES):
    case AVERROR(EPERM):
      return absl::StatusCode::kPermissionDenied;
    case AVERROR(ENOMEM):
      return absl::StatusCode::kResourceExhausted;
    case AVERROR_DECODER_NOT_FOUND:
    case AVERROR_DEMUXER_NOT_FOUND:
    case AVERROR_PROTOCOL_NOT_FOUND:
    case AVERROR_PATCHWELCOME:
      return absl::StatusCode::kUnimplemented;
    case AVERROR_INVALIDDATA:
    case AVERROR_EOF:
      return absl::StatusCode::kInvalidArgument;
    default:
      return absl::StatusCode::kUnknown;
  }
}

// "<path>: <what>: <FFmpeg's text>" with a status code that fits the FFmpeg error.
absl::Status FfmpegError(int av_error, const std::string& path, const std::string& what) {
  return absl::Status(CodeFor(av_error),
                      absl::StrCat(path, ": ", what, ": ", AvErrorText(av_error)));
}

bool IsLocalPath(const std::string& path) {
  return path.find("://") == std::string::npos && path.rfind("pipe:", 0) != 0 &&
         path.rfind("fd:", 0) != 0 && path != "-";
}

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return IsLocalPath(path) && stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

constexpr char kDamagedPayload[] = "type.googleapis.com/video.DamagedInput";

// Marks an Open error as "a video container, but broken" (IsDamagedInputError).
absl::Status Damaged(absl::Status status) {
  status.SetPayload(kDamagedPayload, absl::Cord("1"));
  return status;
}

// Whether a regular file's first bytes alone (not its name) make FFmpeg's probe confident
// it is a container it knows (an MP4's ftyp box, Matroska's EBML header, ...).
bool HasContainerHeader(const std::string& path) {
  if (!IsRegularFile(path)) return false;
  constexpr int kProbeBytes = 4096;
  std::vector<uint8_t> bytes(kProbeBytes + AVPROBE_PADDING_SIZE, 0);
  FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return false;
  const size_t n = std::fread(bytes.data(), 1, kProbeBytes, file);
  std::fclose(file);
  AVProbeData probe = {};
  probe.filename = "";
  probe.buf = bytes.data();
  probe.buf_size = static_cast<int>(n);
  int score = 0;
  const AVInputFormat* format = av_probe_input_format3(&probe, 1, &score);
  return format != nullptr && score >= AVPROBE_SCORE_MAX / 2;
}

// The descriptor of FFmpeg's "pipe:N" ("pipe:" is 0); -1 for anything else.
int PipeDescriptor(const std::string& path) {
  if (path.rfind("pipe:", 0) != 0) return -1;
  int fd = 0;
  for (char c : path.substr(5)) {
    if (c < '0' || c > '9' || fd > 100000000) return -1;
    fd = fd * 10 + (c - '0');
  }
  return fd;
}

// av_gettime_relative() `seconds` from now; 0 (no deadline) for seconds <= 0.
int64_t DeadlineAfter(double seconds) {
  if (!(seconds > 0)) return 0;
  return av_gettime_relative() + static_cast<int64_t>(std::min(seconds, 1e9) * 1e6);
}

// Clockwise rotation (0/90/180/270) the display matrix asks for; 0 without one.
int RotationFromDisplayMatrix(const AVStream* stream, std::string* note) {
  size_t size = 0;
  const uint8_t* data = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size);
  if (data == nullptr || size < 9 * sizeof(int32_t)) return 0;
  const double counterclockwise = av_display_rotation_get(reinterpret_cast<const int32_t*>(data));
  if (std::isnan(counterclockwise)) return 0;
  double clockwise = std::fmod(-counterclockwise, 360.0);
  if (clockwise < 0) clockwise += 360;
  const int rounded = static_cast<int>(std::lround(clockwise / 90.0)) % 4 * 90;
  if (std::fabs(clockwise - rounded) > 1 && std::fabs(clockwise - rounded - 360) > 1) {
    *note = absl::StrFormat("rotation of %.1f degrees is not a multiple of 90; using %d", clockwise,
                            rounded);
  }
  return rounded;
}

void QuietFfmpegLogsOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    avdevice_register_all();
    // FFmpeg's own messages would duplicate what DecodeReport and the statuses say.
    if (av_log_get_level() == AV_LOG_INFO) av_log_set_level(AV_LOG_ERROR);
  });
}

}  // namespace

class Decoder::Impl {
 public:
  void Warn(std::string message);
  ~Impl() {
    av_frame_free(&frame_);
    av_packet_free(&packet_);
    avcodec_free_context(&codec_);
    if (format_ != nullptr) avformat_close_input(&format_);
    if (pipe_fd_ >= 0) close(pipe_fd_);  // FFmpeg's pipe protocol does not close it
  }

  absl::Status Open(const std::string& path, const OpenOptions& options,
                    std::unique_ptr<MemoryAvio> memory);
  // want == null: every frame.
  absl::StatusOr<std::optional<Frame>> Next(const std::function<bool(int64_t, double)>* want,
                                            int64_t max_frames);
  absl::StatusOr<std::optional<Frame>> DecodeAt(double t);
  // Time of the last indexed keyframe at or before t; nullopt without an index entry.
  std::optional<double> IndexedKeyframeBefore(double t) const;

  VideoInfo info_;
  DecodeReport report_;

 private:
  absl::Status CheckInputFile() const;
  // For a FIFO path or a "pipe:N" on a pipe: opens a non-blocking descriptor of our own
  // (open(2) of a FIFO without a writer blocks, and FFmpeg can only interrupt waits on
  // non-blocking descriptors), waits until there is data or the deadline passes, and sets
  // *url to "pipe:<descriptor>". Leaves *url alone for other inputs.
  absl::Status OpenPipe(int64_t deadline, std::string* url);
  // AVIOInterruptCB: true once deadline_us_ has passed.
  static int InterruptCallback(void* opaque);
  absl::Status OpenTimeout(const std::string& stage) const;
  // drained_ = true; the stall error if the input stalled, else false (end of video).
  absl::StatusOr<bool> Ended();
  absl::Status OpenCodec(const AVCodec* decoder);
  void FillInfo();
  // Next raw frame from the codec into frame_; false at the end of the stream.
  absl::StatusOr<bool> ReceiveFrame();
  absl::Status FeedPacket();
  void WarnIfEndedEarly();
  double TimestampOf(const AVFrame* frame);
  absl::StatusOr<Frame> ToRgb(double timestamp, int64_t index);
  absl::Status Seek(int64_t target_pts, double t);
  double Seconds(int64_t pts) const {
    return pts == AV_NOPTS_VALUE ? last_timestamp_ : (pts - start_pts_) * av_q2d(time_base_);
  }

  std::string path_;
  OpenOptions options_;
  std::unique_ptr<MemoryAvio> memory_;  // outlives format_ (destroyed after ~Impl body)
  AVFormatContext* format_ = nullptr;
  AVCodecContext* codec_ = nullptr;
  AVPacket* packet_ = nullptr;
  AVFrame* frame_ = nullptr;
  RgbConverter converter_;
  int stream_index_ = -1;
  AVRational time_base_{1, 1};
  int64_t start_pts_ = 0;
  double frame_duration_ = 0;  // 1 / average frame rate, 0 when unknown
  bool input_ended_ = false;   // demuxer done, flush packet sent
  bool drained_ = false;       // codec returned EOF
  int64_t next_index_ = 0;
  double last_timestamp_ = 0;
  bool have_timestamp_ = false;
  int packets_without_frame_ = 0;
  int consecutive_errors_ = 0;
  int suppressed_warnings_ = 0;
  bool live_ = false;        // may wait for data: not a regular file, not memory
  int pipe_fd_ = -1;         // our descriptor of a FIFO or pipe (OpenPipe), or -1
  int64_t deadline_us_ = 0;  // av_gettime_relative() at which waits are interrupted; 0 = none
  bool timed_out_ = false;   // the interrupt callback fired
  absl::Status stalled_;     // read timeout: returned after the frames already received
};

int Decoder::Impl::InterruptCallback(void* opaque) {
  auto* impl = static_cast<Decoder::Impl*>(opaque);
  if (impl->deadline_us_ == 0 || av_gettime_relative() < impl->deadline_us_) return 0;
  impl->timed_out_ = true;
  return 1;
}

absl::Status Decoder::Impl::OpenTimeout(const std::string& stage) const {
  return absl::DeadlineExceededError(
      absl::StrFormat("%s: timed out after %g s %s (open_timeout_seconds)", path_,
                      options_.open_timeout_seconds, stage));
}

absl::StatusOr<bool> Decoder::Impl::Ended() {
  drained_ = true;
  if (!stalled_.ok()) return stalled_;
  return false;
}

absl::Status Decoder::Impl::OpenPipe(int64_t deadline, std::string* url) {
  std::string reopen;
  struct stat st;
  const int given = PipeDescriptor(path_);
  if (given >= 0) {
    if (fstat(given, &st) != 0 || !S_ISFIFO(st.st_mode)) return absl::OkStatus();
    // A new open file description of the same pipe: O_NONBLOCK there leaves the caller's
    // descriptor as it was.
    reopen = absl::StrCat("/proc/self/fd/", given);
  } else if (IsLocalPath(path_) && stat(path_.c_str(), &st) == 0 && S_ISFIFO(st.st_mode)) {
    reopen = path_;
  } else {
    return absl::OkStatus();
  }
  pipe_fd_ = open(reopen.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (pipe_fd_ < 0) {
    if (given >= 0) return absl::OkStatus();  // no /proc: FFmpeg reads it, without timeouts
    const int error = errno;
    return absl::Status(
        error == EACCES ? absl::StatusCode::kPermissionDenied : absl::StatusCode::kUnknown,
        absl::StrCat(path_, ": cannot open: ", std::strerror(error)));
  }
  // Readable once a writer has written, or has come and gone (end of input).
  for (;;) {
    int wait_ms = -1;
    if (deadline != 0) {
      const int64_t left = deadline - av_gettime_relative();
      if (left <= 0) return OpenTimeout("waiting for a writer to send data");
      wait_ms = static_cast<int>(std::min<int64_t>((left + 999) / 1000, 1000));
    }
    pollfd p{pipe_fd_, POLLIN, 0};
    const int r = poll(&p, 1, wait_ms);
    if (r > 0) break;
    if (r < 0 && errno != EINTR) {
      return absl::UnknownError(
          absl::StrCat(path_, ": cannot wait for data: ", std::strerror(errno)));
    }
  }
  *url = absl::StrCat("pipe:", pipe_fd_);
  return absl::OkStatus();
}

void Decoder::Impl::Warn(std::string message) {
  if (static_cast<int>(report_.warnings.size()) < kMaxWarnings) {
    report_.warnings.push_back(absl::StrCat(path_, ": ", message));
  } else if (++suppressed_warnings_ == 1) {
    report_.warnings.push_back(absl::StrCat(path_, ": further warnings suppressed"));
  }
}

absl::Status Decoder::Impl::CheckInputFile() const {
  struct stat st;
  if (stat(path_.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(path_, ": no such file"));
    return absl::UnknownError(absl::StrCat(path_, ": cannot open: ", std::strerror(errno)));
  }
  if (S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": is a directory, not a video"));
  }
  if (S_ISREG(st.st_mode) && st.st_size == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": file is empty"));
  }
  return absl::OkStatus();
}

absl::Status Decoder::Impl::Open(const std::string& path, const OpenOptions& options,
                                 std::unique_ptr<MemoryAvio> memory) {
  QuietFfmpegLogsOnce();
  path_ = path;
  options_ = options;
  memory_ = std::move(memory);
  info_.path = path;
  if (options.max_width <= 0 || options.max_height <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": max_width/max_height must be > 0"));
  }
  if (memory_ == nullptr && options.input_format.empty() && IsLocalPath(path)) {
    RETURN_IF_ERROR(CheckInputFile());
  }
  live_ = memory_ == nullptr && !IsRegularFile(path);
  const AVInputFormat* input_format = nullptr;
  if (!options.input_format.empty()) {
    input_format = av_find_input_format(options.input_format.c_str());
    if (input_format == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": unknown input format '", options.input_format, "'"));
    }
  }
  format_ = avformat_alloc_context();
  packet_ = av_packet_alloc();
  frame_ = av_frame_alloc();
  if (format_ == nullptr || packet_ == nullptr || frame_ == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(path, ": out of memory"));
  }
  if (memory_ != nullptr) {
    if (memory_->avio() == nullptr) {
      return absl::ResourceExhaustedError(absl::StrCat(path, ": out of memory"));
    }
    format_->pb = memory_->avio();
    format_->flags |= AVFMT_FLAG_CUSTOM_IO;
  }
  std::string url = path;
  const int64_t open_deadline = live_ ? DeadlineAfter(options.open_timeout_seconds) : 0;
  if (live_ && (input_format == nullptr || !(input_format->flags & AVFMT_NOFILE))) {
    RETURN_IF_ERROR(OpenPipe(open_deadline, &url));
  }
  format_->interrupt_callback.callback = &Impl::InterruptCallback;
  format_->interrupt_callback.opaque = this;
  // Devices (v4l2, ...) then answer EAGAIN instead of blocking, so waits stay bounded.
  if (live_ && input_format != nullptr && (input_format->flags & AVFMT_NOFILE)) {
    format_->flags |= AVFMT_FLAG_NONBLOCK;
  }
  deadline_us_ = open_deadline;
  AVDictionary* dict = nullptr;
  for (const auto& [key, value] : options.format_options) {
    av_dict_set(&dict, key.c_str(), value.c_str(), 0);
  }
  int r = avformat_open_input(&format_, memory_ ? "" : url.c_str(), input_format, &dict);
  for (const AVDictionaryEntry* e = nullptr;
       (e = av_dict_get(dict, "", e, AV_DICT_IGNORE_SUFFIX));) {
    Warn(absl::StrCat("option '", e->key, "' was not used by the input format"));
  }
  av_dict_free(&dict);
  if (r < 0) {  // avformat_open_input freed format_
    format_ = nullptr;
    deadline_us_ = 0;
    if (timed_out_) return OpenTimeout("opening it");
    if (r == AVERROR_INVALIDDATA) {
      if (memory_ == nullptr && HasContainerHeader(path)) {
        return Damaged(FfmpegError(r, path, "a broken video file (its header is a video container's)"));
      }
      return FfmpegError(r, path, "not a video format FFmpeg can read");
    }
    return FfmpegError(r, path, "cannot open");
  }
  // Stream probing decodes frames: keep its codecs below the size limit too.
  const std::string max_pixels = std::to_string(int64_t{options.max_width} * options.max_height);
  std::vector<AVDictionary*> stream_options(format_->nb_streams, nullptr);
  for (auto& d : stream_options) av_dict_set(&d, "max_pixels", max_pixels.c_str(), 0);
  r = avformat_find_stream_info(format_, stream_options.empty() ? nullptr : stream_options.data());
  for (auto& d : stream_options) av_dict_free(&d);
  deadline_us_ = 0;
  if (timed_out_) return OpenTimeout("reading the stream information");
  if (r < 0) return Damaged(FfmpegError(r, path, "cannot read the stream information"));

  const AVCodec* decoder = nullptr;
  r = av_find_best_stream(format_, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
  if (r == AVERROR_STREAM_NOT_FOUND) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no video stream (container '", format_->iformat->name, "' has ",
                     format_->nb_streams, " stream(s) of other kinds)"));
  }
  if (r == AVERROR_DECODER_NOT_FOUND) {
    // Name the codec of the first video stream.
    std::string codec = "unknown";
    for (unsigned i = 0; i < format_->nb_streams; ++i) {
      if (format_->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
        codec = avcodec_get_name(format_->streams[i]->codecpar->codec_id);
        break;
      }
    }
    return absl::UnimplementedError(
        absl::StrCat(path, ": no decoder for video codec '", codec, "' in this FFmpeg"));
  }
  if (r < 0) return FfmpegError(r, path, "cannot select a video stream");
  stream_index_ = r;
  const AVStream* stream = format_->streams[stream_index_];
  if (stream->disposition & AV_DISPOSITION_ATTACHED_PIC) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no video stream (only an attached cover picture)"));
  }
  const int w = stream->codecpar->width, h = stream->codecpar->height;
  const bool fits = (w <= options.max_width && h <= options.max_height) ||
                    (w <= options.max_height && h <= options.max_width);
  if (!fits) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: resolution %dx%d exceeds the limit of %dx%d", path, w, h,
                        options.max_width, options.max_height));
  }
  RETURN_IF_ERROR(OpenCodec(decoder));
  FillInfo();
  return absl::OkStatus();
}

absl::Status Decoder::Impl::OpenCodec(const AVCodec* decoder) {
  const AVStream* stream = format_->streams[stream_index_];
  codec_ = avcodec_alloc_context3(decoder);
  if (codec_ == nullptr)
    return absl::ResourceExhaustedError(absl::StrCat(path_, ": out of memory"));
  int r = avcodec_parameters_to_context(codec_, stream->codecpar);
  if (r < 0) return Damaged(FfmpegError(r, path_, "bad codec parameters"));
  codec_->pkt_timebase = stream->time_base;
  codec_->thread_count = options_.decoder_threads;
  codec_->max_pixels = int64_t{options_.max_width} * options_.max_height;
  r = avcodec_open2(codec_, decoder, nullptr);
  if (r < 0)
    return FfmpegError(r, path_, absl::StrCat("cannot open the ", decoder->name, " decoder"));
  return absl::OkStatus();
}

void Decoder::Impl::FillInfo() {
  const AVStream* stream = format_->streams[stream_index_];
  time_base_ = stream->time_base;
  if (time_base_.num <= 0 || time_base_.den <= 0) time_base_ = AVRational{1, AV_TIME_BASE};
  start_pts_ = stream->start_time != AV_NOPTS_VALUE ? stream->start_time : 0;
  info_.container = format_->iformat->name;
  info_.codec = avcodec_get_name(stream->codecpar->codec_id);
  std::string note;
  info_.rotation_degrees = RotationFromDisplayMatrix(stream, &note);
  if (!note.empty()) Warn(note);
  info_.width = stream->codecpar->width;
  info_.height = stream->codecpar->height;
  if (info_.rotation_degrees == 90 || info_.rotation_degrees == 270) {
    std::swap(info_.width, info_.height);
  }
  // avg_frame_rate is frames / duration, and containers measure the duration differently
  // (MP4: up to the last sample's start when its duration is unknown), so it can be off by
  // a frame in N. r_frame_rate is the exact base rate of the timestamps; when the two agree
  // within 1% the video is constant-rate and the base rate is used (frame indices after a
  // seek are timestamp x rate: the average would misnumber frames late in long videos).
  const AVRational avg = stream->avg_frame_rate, real = stream->r_frame_rate;
  const bool have_avg = avg.num > 0 && avg.den > 0, have_real = real.num > 0 && real.den > 0;
  if (have_avg && have_real) {
    info_.variable_frame_rate = std::fabs(av_q2d(avg) - av_q2d(real)) > 0.01 * av_q2d(avg);
  }
  if (have_real && (!have_avg || !info_.variable_frame_rate)) {
    info_.frame_rate = av_q2d(real);
  } else if (have_avg) {
    info_.frame_rate = av_q2d(avg);
  }
  if (info_.frame_rate > 1000 || !std::isfinite(info_.frame_rate)) info_.frame_rate = 0;
  frame_duration_ = info_.frame_rate > 0 ? 1 / info_.frame_rate : 0;
  if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0) {
    info_.duration_seconds = stream->duration * av_q2d(time_base_);
  } else if (format_->duration != AV_NOPTS_VALUE && format_->duration > 0) {
    info_.duration_seconds = format_->duration / static_cast<double>(AV_TIME_BASE);
  }
  if (stream->nb_frames > 0) {
    info_.estimated_frames = stream->nb_frames;
  } else if (info_.duration_seconds > 0 && info_.frame_rate > 0) {
    info_.estimated_frames = std::llround(info_.duration_seconds * info_.frame_rate);
  }
  info_.seekable = format_->pb != nullptr && (format_->pb->seekable & AVIO_SEEKABLE_NORMAL) &&
                   !(format_->iformat->flags & AVFMT_NOFILE);
}

absl::Status Decoder::Impl::FeedPacket() {
  int other_stream_packets = 0, eagain = 0;
  // Bounds every wait inside av_read_frame (through InterruptCallback) and the EAGAIN loop.
  deadline_us_ = live_ ? DeadlineAfter(options_.read_timeout_seconds) : 0;
  struct Disarm {
    int64_t* deadline;
    ~Disarm() { *deadline = 0; }
  } disarm{&deadline_us_};
  for (;;) {
    int r = av_read_frame(format_, packet_);
    if (r == AVERROR(EAGAIN)) {  // live input (a device) with no data yet
      if (live_ ? (deadline_us_ != 0 && av_gettime_relative() >= deadline_us_)
                : ++eagain > kMaxEagainRetries) {
        if (!live_) return absl::DeadlineExceededError(absl::StrCat(path_, ": no data for 10 s"));
        timed_out_ = true;
        r = AVERROR_EXIT;
      } else {
        av_usleep(10000);
        continue;
      }
    }
    if (r < 0 && timed_out_) {
      // A stalled live input: hand out what the codec still holds, then this error.
      stalled_ = absl::DeadlineExceededError(absl::StrFormat(
          "%s: no data for %g s (read_timeout_seconds); the input stalled after %.2f s of video",
          path_, options_.read_timeout_seconds, last_timestamp_));
      input_ended_ = true;
      avcodec_send_packet(codec_, nullptr);
      return absl::OkStatus();
    }
    if (r < 0) {
      if (r != AVERROR_EOF) {
        ++report_.packets_corrupt;
        Warn(absl::StrFormat("read error after %.2f s: %s (stopped reading)", last_timestamp_,
                             AvErrorText(r)));
      }
      input_ended_ = true;
      avcodec_send_packet(codec_, nullptr);  // enter draining mode
      return absl::OkStatus();
    }
    if (packet_->stream_index != stream_index_) {
      av_packet_unref(packet_);
      if (++other_stream_packets > kMaxOtherStreamPackets) {
        return absl::DataLossError(absl::StrCat(path_, ": no video packet among the last ",
                                                kMaxOtherStreamPackets, " packets"));
      }
      continue;
    }
    const double at = Seconds(packet_->pts != AV_NOPTS_VALUE ? packet_->pts : packet_->dts);
    if (packet_->flags & AV_PKT_FLAG_CORRUPT) {
      ++report_.packets_corrupt;
      Warn(absl::StrFormat("damaged packet at %.2f s (decoding anyway)", at));
    }
    const int sent = avcodec_send_packet(codec_, packet_);
    av_packet_unref(packet_);
    if (sent < 0 && sent != AVERROR(EAGAIN)) {
      ++report_.packets_corrupt;
      Warn(absl::StrFormat("decode error at %.2f s: %s (skipped)", at, AvErrorText(sent)));
      if (++consecutive_errors_ > kMaxConsecutiveDecodeErrors) {
        return absl::DataLossError(absl::StrCat(path_, ": ", kMaxConsecutiveDecodeErrors,
                                                " decode errors in a row; giving up"));
      }
    }
    if (++packets_without_frame_ > kMaxPacketsWithoutFrame) {
      return absl::DataLossError(absl::StrCat(path_, ": no frame decoded from the last ",
                                              kMaxPacketsWithoutFrame,
                                              " packets (damaged or unsupported stream)"));
    }
    return absl::OkStatus();
  }
}

void Decoder::Impl::WarnIfEndedEarly() {
  if (!have_timestamp_ || info_.duration_seconds <= 0 || frame_duration_ <= 0) return;
  const double expected_last = info_.duration_seconds - frame_duration_;
  if (last_timestamp_ + 2 * frame_duration_ + 0.25 < expected_last) {
    Warn(
        absl::StrFormat("video ends at %.2f s, before the container's duration of %.2f s "
                        "(truncated or damaged file?)",
                        last_timestamp_, info_.duration_seconds));
  }
}

absl::StatusOr<bool> Decoder::Impl::ReceiveFrame() {
  for (;;) {
    if (drained_) return stalled_.ok() ? absl::StatusOr<bool>(false) : stalled_;
    const int r = avcodec_receive_frame(codec_, frame_);
    if (r == 0) {
      packets_without_frame_ = 0;
      consecutive_errors_ = 0;
      ++report_.frames_decoded;
      if (frame_->width <= 0 || frame_->height <= 0 || frame_->width > 65536 ||
          frame_->height > 65536 ||
          !((frame_->width <= options_.max_width && frame_->height <= options_.max_height) ||
            (frame_->width <= options_.max_height && frame_->height <= options_.max_width))) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s: decoded frame of %dx%d is outside the limit of %dx%d", path_, frame_->width,
            frame_->height, options_.max_width, options_.max_height));
      }
      if (frame_->decode_error_flags != 0 || (frame_->flags & AV_FRAME_FLAG_CORRUPT)) {
        ++report_.packets_corrupt;
        Warn(absl::StrFormat("damaged frame at %.2f s (errors concealed)",
                             Seconds(frame_->best_effort_timestamp)));
      }
      return true;
    }
    if (r == AVERROR_EOF) {
      if (stalled_.ok()) WarnIfEndedEarly();
      return Ended();
    }
    if (r != AVERROR(EAGAIN)) {
      ++report_.packets_corrupt;
      Warn(absl::StrFormat("decode error after %.2f s: %s (skipped)", last_timestamp_,
                           AvErrorText(r)));
      if (++consecutive_errors_ > kMaxConsecutiveDecodeErrors) {
        return absl::DataLossError(absl::StrCat(path_, ": ", kMaxConsecutiveDecodeErrors,
                                                " decode errors in a row; giving up"));
      }
      if (input_ended_) return Ended();  // a draining codec that errors cannot make progress
      continue;
    }
    if (input_ended_) return Ended();  // EAGAIN while draining: nothing more will come
    RETURN_IF_ERROR(FeedPacket());
  }
}

double Decoder::Impl::TimestampOf(const AVFrame* frame) {
  double t;
  if (frame->best_effort_timestamp != AV_NOPTS_VALUE) {
    t = (frame->best_effort_timestamp - start_pts_) * av_q2d(time_base_);
  } else {
    t = have_timestamp_ ? last_timestamp_ + frame_duration_ : 0;
  }
  if (have_timestamp_ && frame_duration_ > 0) {
    // Intervals far from the average frame duration mean a variable frame rate.
    const double interval = t - last_timestamp_;
    if (interval > 0 && std::fabs(interval - frame_duration_) > 0.25 * frame_duration_) {
      info_.variable_frame_rate = true;
    }
  }
  last_timestamp_ = t;
  have_timestamp_ = true;
  return t;
}

absl::StatusOr<Frame> Decoder::Impl::ToRgb(double timestamp, int64_t index) {
  Frame out;
  out.index = index;
  out.timestamp_seconds = timestamp;
  if (auto status = converter_.Convert(*frame_, info_.rotation_degrees, &out); !status.ok()) {
    return absl::Status(status.code(), absl::StrCat(path_, ": ", status.message()));
  }
  return out;
}

absl::StatusOr<std::optional<Frame>> Decoder::Impl::Next(
    const std::function<bool(int64_t, double)>* want, int64_t max_frames) {
  for (int64_t skipped = 0; skipped <= max_frames; ++skipped) {
    ASSIGN_OR_RETURN(const bool got, ReceiveFrame());
    if (!got) return std::optional<Frame>();
    const double t = TimestampOf(frame_);
    const int64_t index = next_index_++;
    if (want != nullptr && !(*want)(index, t)) {
      av_frame_unref(frame_);
      continue;
    }
    auto frame = ToRgb(t, index);
    av_frame_unref(frame_);
    if (!frame.ok()) return frame.status();
    return std::optional<Frame>(std::move(*frame));
  }
  return std::optional<Frame>();
}

absl::Status Decoder::Impl::Seek(int64_t target_pts, double t) {
  const int r = av_seek_frame(format_, stream_index_, target_pts, AVSEEK_FLAG_BACKWARD);
  if (r < 0) return FfmpegError(r, path_, absl::StrFormat("cannot seek to %.3f s", t));
  avcodec_flush_buffers(codec_);
  input_ended_ = drained_ = false;
  packets_without_frame_ = consecutive_errors_ = 0;
  have_timestamp_ = false;
  return absl::OkStatus();
}

std::optional<double> Decoder::Impl::IndexedKeyframeBefore(double t) const {
  AVStream* stream = format_->streams[stream_index_];
  const int64_t target = start_pts_ + static_cast<int64_t>(std::floor(t / av_q2d(time_base_)));
  const int i = av_index_search_timestamp(stream, target, AVSEEK_FLAG_BACKWARD);
  if (i < 0) return std::nullopt;
  const AVIndexEntry* entry = avformat_index_get_entry(stream, i);
  if (entry == nullptr || !(entry->flags & AVINDEX_KEYFRAME)) return std::nullopt;
  return (entry->timestamp - start_pts_) * av_q2d(time_base_);
}

absl::StatusOr<std::optional<Frame>> Decoder::Impl::DecodeAt(double t) {
  if (!std::isfinite(t)) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": seek time is not finite"));
  }
  t = std::max(t, 0.0);
  bool seeked = false;
  // Already before t with no keyframe in between: decoding forward beats seeking.
  bool forward = false;
  if (have_timestamp_ && !drained_ && t >= last_timestamp_) {
    const std::optional<double> keyframe = IndexedKeyframeBefore(t);
    forward = keyframe.has_value() && *keyframe <= last_timestamp_ + Decoder::kTimestampTolerance;
  }
  if (info_.seekable && !forward) {
    const int64_t target = start_pts_ + static_cast<int64_t>(std::floor(t / av_q2d(time_base_)));
    absl::Status status = Seek(target, t);
    if (status.ok()) {
      seeked = true;
    } else {
      Warn(absl::StrCat(status.message(), "; decoding forward instead"));
    }
  }
  if (!seeked && have_timestamp_ && last_timestamp_ > t + Decoder::kTimestampTolerance) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s: cannot go back to %.3f s (input is not seekable; at %.3f s)", path_, t,
                        last_timestamp_));
  }
  // A seek can land after t (sparse or broken index): then go back further, once to t - 10 s
  // and once to the start.
  int retries = 0;
  bool first_after_seek = seeked;
  for (;;) {
    ASSIGN_OR_RETURN(const bool got, ReceiveFrame());
    if (!got) return std::optional<Frame>();
    const double ts = TimestampOf(frame_);
    if (first_after_seek && t > 0 && retries < 2 &&
        ts > t + std::max(frame_duration_, 0.001) + Decoder::kTimestampTolerance) {
      av_frame_unref(frame_);
      const double back = retries == 0 ? std::max(0.0, t - 10) : 0.0;
      ++retries;
      const int64_t target =
          start_pts_ + static_cast<int64_t>(std::floor(back / av_q2d(time_base_)));
      RETURN_IF_ERROR(Seek(target, back));
      continue;
    }
    first_after_seek = false;
    if (ts >= t - Decoder::kTimestampTolerance) {
      int64_t index = next_index_;
      if (seeked) index = info_.frame_rate > 0 ? std::llround(ts * info_.frame_rate) : index;
      next_index_ = index + 1;
      auto frame = ToRgb(ts, index);
      av_frame_unref(frame_);
      if (!frame.ok()) return frame.status();
      return std::optional<Frame>(std::move(*frame));
    }
    av_frame_unref(frame_);
    if (!seeked) ++next_index_;
  }
}

Decoder::Decoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Decoder::~Decoder() = default;

absl::StatusOr<std::unique_ptr<Decoder>> Decoder::Open(const std::string& path_or_url,
                                                       const OpenOptions& options) {
  auto impl = std::make_unique<Impl>();
  RETURN_IF_ERROR(impl->Open(path_or_url, options, nullptr));
  return std::unique_ptr<Decoder>(new Decoder(std::move(impl)));
}

absl::StatusOr<std::unique_ptr<Decoder>> Decoder::OpenMemory(const std::string& name,
                                                             std::string_view bytes,
                                                             const OpenOptions& options) {
  if (bytes.empty()) return absl::InvalidArgumentError(absl::StrCat(name, ": file is empty"));
  auto impl = std::make_unique<Impl>();
  RETURN_IF_ERROR(impl->Open(name, options, std::make_unique<MemoryAvio>(bytes)));
  return std::unique_ptr<Decoder>(new Decoder(std::move(impl)));
}

const VideoInfo& Decoder::info() const { return impl_->info_; }
const DecodeReport& Decoder::report() const { return impl_->report_; }
void Decoder::AddWarning(const std::string& message) { impl_->Warn(message); }
absl::StatusOr<std::optional<Frame>> Decoder::Next() { return impl_->Next(nullptr, 0); }
absl::StatusOr<std::optional<Frame>> Decoder::NextWanted(
    const std::function<bool(int64_t, double)>& want, int64_t max_frames) {
  return impl_->Next(&want, max_frames);
}
absl::StatusOr<std::optional<Frame>> Decoder::DecodeAt(double timestamp_seconds) {
  return impl_->DecodeAt(timestamp_seconds);
}

std::optional<double> Decoder::KeyframeAtOrBefore(double timestamp_seconds) const {
  if (!impl_->info_.seekable || !std::isfinite(timestamp_seconds)) return std::nullopt;
  return impl_->IndexedKeyframeBefore(std::max(timestamp_seconds, 0.0));
}

}  // namespace video

namespace video {

bool IsDamagedInputError(const absl::Status& status) {
  return status.GetPayload(kDamagedPayload).has_value();
}

}  // namespace video
