// Synthetic clip encoder (libavcodec + libavformat), the test pattern and clip trimming.
#include "video/testing/synthetic_clips.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

namespace video::testing {
namespace {

std::string AvErrorText(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof(text));
  return text;
}

absl::Status Error(const std::string& path, const std::string& what, int code) {
  return absl::InternalError(absl::StrCat(path, ": ", what, ": ", AvErrorText(code)));
}

// Owns everything one encode needs; the destructor frees it in order.
struct Encoding {
  ~Encoding() {
    sws_freeContext(sws);
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&encoder);
    if (muxer != nullptr) {
      if (!(muxer->oformat->flags & AVFMT_NOFILE)) avio_closep(&muxer->pb);
      avformat_free_context(muxer);
    }
  }
  AVFormatContext* muxer = nullptr;
  AVCodecContext* encoder = nullptr;
  AVStream* stream = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* packet = nullptr;
  SwsContext* sws = nullptr;
};

// Sends `frame` (null = flush) and writes every packet the encoder returns.
absl::Status EncodeAndWrite(const std::string& path, Encoding& e, const AVFrame* frame) {
  int r = avcodec_send_frame(e.encoder, frame);
  if (r < 0) return Error(path, "encoding failed", r);
  for (;;) {
    r = avcodec_receive_packet(e.encoder, e.packet);
    if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return absl::OkStatus();
    if (r < 0) return Error(path, "encoding failed", r);
    av_packet_rescale_ts(e.packet, e.encoder->time_base, e.stream->time_base);
    e.packet->stream_index = e.stream->index;
    r = av_interleaved_write_frame(e.muxer, e.packet);
    if (r < 0) return Error(path, "writing a packet failed", r);
  }
}

AVPixelFormat ChoosePixelFormat(const AVCodec* codec, const std::string& requested) {
  if (!requested.empty()) return av_get_pix_fmt(requested.c_str());
  if (codec->pix_fmts == nullptr) return AV_PIX_FMT_YUV420P;
  for (const AVPixelFormat* f = codec->pix_fmts; *f != AV_PIX_FMT_NONE; ++f) {
    if (*f == AV_PIX_FMT_YUV420P) return *f;
  }
  return codec->pix_fmts[0];
}

std::vector<double> FrameTimes(const SyntheticClipOptions& o) {
  if (!o.timestamps.empty()) return o.timestamps;
  std::vector<double> times(o.frames);
  for (int i = 0; i < o.frames; ++i) {
    const int half = o.frames / 2;
    times[i] =
        (!o.variable_frame_rate || i <= half) ? i / o.fps : (half + 2.0 * (i - half)) / o.fps;
  }
  return times;
}

void SetDefaultQuality(const std::string& codec, AVCodecContext* encoder) {
  if (codec == "libx264" || codec == "libx265") {
    av_opt_set(encoder->priv_data, "preset", "veryfast", 0);
    av_opt_set(encoder->priv_data, "crf", "18", 0);
    if (codec == "libx265") av_opt_set(encoder->priv_data, "x265-params", "log-level=error", 0);
  } else if (codec == "libvpx-vp9") {
    av_opt_set(encoder->priv_data, "deadline", "realtime", 0);
    av_opt_set(encoder->priv_data, "cpu-used", "8", 0);
    av_opt_set(encoder->priv_data, "crf", "20", 0);
    encoder->bit_rate = 0;
  } else {
    encoder->flags |= AV_CODEC_FLAG_QSCALE;
    encoder->global_quality = FF_QP2LAMBDA * 3;
  }
}

}  // namespace

bool HasEncoder(const std::string& name) { return avcodec_find_encoder_by_name(name.c_str()); }
bool HasMuxer(const std::string& name) {
  return av_guess_format(name.c_str(), nullptr, nullptr) != nullptr;
}

void DrawTestPattern(int frame_index, int width, int height, uint8_t* rgb) {
  auto set = [&](int x, int y, uint8_t r, uint8_t g, uint8_t b) {
    uint8_t* p = rgb + (size_t(y) * width + x) * 3;
    p[0] = r, p[1] = g, p[2] = b;
  };
  const int band = std::max(1, height / 4);
  const int square = std::max(2, std::min(width, height) / 6);
  const int travel = std::max(1, width - square);
  const int square_x = (frame_index * 7) % travel;
  const int square_y = band + std::max(0, (height - 2 * band - square) / 2);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      if (y < band) {
        if (x < width / 4)
          set(x, y, 255, 0, 0);
        else
          set(x, y, 0, 200, 0);
      } else if (y >= height - band) {
        const int cell = std::min(kFrameNumberBits - 1, x * kFrameNumberBits / width);
        const bool bit = (frame_index >> (kFrameNumberBits - 1 - cell)) & 1;
        const uint8_t v = bit ? 255 : 0;
        set(x, y, v, v, v);
      } else if (x >= square_x && x < square_x + square && y >= square_y && y < square_y + square) {
        set(x, y, 255, 255, 255);
      } else {
        const uint8_t v = static_cast<uint8_t>(64 + 64 * x / std::max(1, width));
        set(x, y, v, v, v);
      }
    }
  }
}

int ReadFrameNumber(const Frame& frame) {
  const int band = std::max(1, frame.height / 4);
  const int y = frame.height - band / 2 - 1;
  int number = 0;
  for (int cell = 0; cell < kFrameNumberBits; ++cell) {
    const int x = (2 * cell + 1) * frame.width / (2 * kFrameNumberBits);
    const uint8_t* p = frame.pixel(x, y);
    const int luma = (p[0] + p[1] + p[2]) / 3;
    if (luma > 80 && luma < 176) return -1;
    number = number * 2 + (luma >= 176 ? 1 : 0);
  }
  return number;
}

void PasteImage(const uint8_t* image, int iw, int ih, int x, int y, int width, int height,
                uint8_t* canvas) {
  for (int row = std::max(0, -y); row < ih && y + row < height; ++row) {
    const int x0 = std::max(0, -x), x1 = std::min(iw, width - x);
    if (x1 <= x0) continue;
    std::memcpy(canvas + (size_t(y + row) * width + x + x0) * 3,
                image + (size_t(row) * iw + x0) * 3, size_t(x1 - x0) * 3);
  }
}

absl::Status WriteSyntheticClip(const std::string& path, const SyntheticClipOptions& o) {
  if (av_log_get_level() == AV_LOG_INFO) av_log_set_level(AV_LOG_ERROR);  // encoder chatter
  const std::vector<double> times = FrameTimes(o);
  if (o.width <= 0 || o.height <= 0 || times.empty() || o.fps <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": bad synthetic clip options"));
  }
  const AVCodec* codec = avcodec_find_encoder_by_name(o.codec.c_str());
  if (codec == nullptr) {
    return absl::UnimplementedError(absl::StrCat(path, ": no encoder '", o.codec, "'"));
  }
  Encoding e;
  int r = avformat_alloc_output_context2(
      &e.muxer, nullptr, o.container.empty() ? nullptr : o.container.c_str(), path.c_str());
  if (r < 0 || e.muxer == nullptr) return Error(path, "no muxer for this name", r);
  e.encoder = avcodec_alloc_context3(codec);
  e.frame = av_frame_alloc();
  e.packet = av_packet_alloc();
  if (e.encoder == nullptr || e.frame == nullptr || e.packet == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(path, ": out of memory"));
  }
  const bool explicit_times = !o.timestamps.empty() || o.variable_frame_rate;
  e.encoder->width = o.width;
  e.encoder->height = o.height;
  e.encoder->time_base = explicit_times ? AVRational{1, 1000} : av_inv_q(av_d2q(o.fps, 100000));
  if (o.codec == "gif" && !explicit_times) e.encoder->time_base = AVRational{1, 100};
  e.encoder->framerate = av_d2q(o.fps, 100000);
  e.encoder->gop_size = o.gop_size;
  e.encoder->pix_fmt = ChoosePixelFormat(codec, o.pixel_format);
  e.encoder->colorspace = AVCOL_SPC_SMPTE170M;
  e.encoder->color_range = o.codec == "mjpeg" ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
  if (e.encoder->pix_fmt == AV_PIX_FMT_NONE) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": unknown pixel format ", o.pixel_format));
  }
  if (e.muxer->oformat->flags & AVFMT_GLOBALHEADER) e.encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  SetDefaultQuality(o.codec, e.encoder);
  AVDictionary* encoder_options = nullptr;
  for (const auto& [key, value] : o.encoder_options) {
    av_dict_set(&encoder_options, key.c_str(), value.c_str(), 0);
  }
  r = avcodec_open2(e.encoder, codec, &encoder_options);
  av_dict_free(&encoder_options);
  if (r < 0) return Error(path, absl::StrCat("cannot open encoder ", o.codec), r);

  e.stream = avformat_new_stream(e.muxer, nullptr);
  if (e.stream == nullptr)
    return absl::ResourceExhaustedError(absl::StrCat(path, ": out of memory"));
  e.stream->time_base = e.encoder->time_base;
  e.stream->avg_frame_rate = e.encoder->framerate;
  r = avcodec_parameters_from_context(e.stream->codecpar, e.encoder);
  if (r < 0) return Error(path, "bad codec parameters", r);
  if (o.rotation_degrees != 0) {
    auto* matrix = reinterpret_cast<int32_t*>(
        av_stream_new_side_data(e.stream, AV_PKT_DATA_DISPLAYMATRIX, 9 * sizeof(int32_t)));
    if (matrix == nullptr)
      return absl::ResourceExhaustedError(absl::StrCat(path, ": out of memory"));
    // av_display_rotation_set takes a clockwise angle; readers get its negation back from
    // av_display_rotation_get (counterclockwise), as FFmpeg's own tools do.
    av_display_rotation_set(matrix, o.rotation_degrees);
  }
  if (!(e.muxer->oformat->flags & AVFMT_NOFILE)) {
    r = avio_open(&e.muxer->pb, path.c_str(), AVIO_FLAG_WRITE);
    if (r < 0) return Error(path, "cannot create the file", r);
  }
  r = avformat_write_header(e.muxer, nullptr);
  if (r < 0) return Error(path, "cannot write the header", r);

  e.frame->format = e.encoder->pix_fmt;
  e.frame->width = o.width;
  e.frame->height = o.height;
  r = av_frame_get_buffer(e.frame, 0);
  if (r < 0) return Error(path, "out of memory", r);
  e.sws = sws_getContext(o.width, o.height, AV_PIX_FMT_RGB24, o.width, o.height, e.encoder->pix_fmt,
                         SWS_BILINEAR | SWS_ACCURATE_RND, nullptr, nullptr, nullptr);
  if (e.sws == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat(path, ": cannot convert RGB to ", av_get_pix_fmt_name(e.encoder->pix_fmt)));
  }
  const int* bt601 = sws_getCoefficients(SWS_CS_ITU601);
  sws_setColorspaceDetails(e.sws, bt601, 1, bt601, e.encoder->color_range == AVCOL_RANGE_JPEG, 0,
                           1 << 16, 1 << 16);
  std::vector<uint8_t> canvas(size_t(o.width) * o.height * 3);
  for (size_t i = 0; i < times.size(); ++i) {
    std::fill(canvas.begin(), canvas.end(), 0);
    if (o.draw)
      o.draw(static_cast<int>(i), o.width, o.height, canvas.data());
    else
      DrawTestPattern(static_cast<int>(i), o.width, o.height, canvas.data());
    r = av_frame_make_writable(e.frame);
    if (r < 0) return Error(path, "out of memory", r);
    const uint8_t* src[1] = {canvas.data()};
    const int src_stride[1] = {o.width * 3};
    sws_scale(e.sws, src, src_stride, 0, o.height, e.frame->data, e.frame->linesize);
    e.frame->pts = std::llround(times[i] / av_q2d(e.encoder->time_base));
    RETURN_IF_ERROR(EncodeAndWrite(path, e, e.frame));
  }
  RETURN_IF_ERROR(EncodeAndWrite(path, e, nullptr));
  r = av_write_trailer(e.muxer);
  if (r < 0) return Error(path, "cannot write the trailer", r);
  return absl::OkStatus();
}

absl::Status TrimClip(const std::string& in_path, const std::string& out_path, double seconds) {
  AVFormatContext* in = nullptr;
  int r = avformat_open_input(&in, in_path.c_str(), nullptr, nullptr);
  if (r < 0) return Error(in_path, "cannot open", r);
  std::unique_ptr<AVFormatContext*, void (*)(AVFormatContext**)> in_closer(&in,
                                                                           avformat_close_input);
  r = avformat_find_stream_info(in, nullptr);
  if (r < 0) return Error(in_path, "cannot read stream info", r);
  const int video = av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (video < 0) return Error(in_path, "no video stream", video);
  Encoding e;  // only the muxer and packet are used
  r = avformat_alloc_output_context2(&e.muxer, nullptr, nullptr, out_path.c_str());
  if (r < 0) return Error(out_path, "no muxer", r);
  e.packet = av_packet_alloc();
  AVStream* in_stream = in->streams[video];
  e.stream = avformat_new_stream(e.muxer, nullptr);
  if (e.stream == nullptr || e.packet == nullptr)
    return absl::ResourceExhaustedError("out of memory");
  r = avcodec_parameters_copy(e.stream->codecpar, in_stream->codecpar);
  if (r < 0) return Error(out_path, "cannot copy codec parameters", r);
  e.stream->codecpar->codec_tag = 0;
  e.stream->time_base = in_stream->time_base;
  size_t size = 0;
  if (const uint8_t* m = av_stream_get_side_data(in_stream, AV_PKT_DATA_DISPLAYMATRIX, &size)) {
    uint8_t* copy = av_stream_new_side_data(e.stream, AV_PKT_DATA_DISPLAYMATRIX, size);
    if (copy != nullptr) std::memcpy(copy, m, size);
  }
  r = avio_open(&e.muxer->pb, out_path.c_str(), AVIO_FLAG_WRITE);
  if (r < 0) return Error(out_path, "cannot create", r);
  r = avformat_write_header(e.muxer, nullptr);
  if (r < 0) return Error(out_path, "cannot write the header", r);
  const int64_t start = in_stream->start_time == AV_NOPTS_VALUE ? 0 : in_stream->start_time;
  const int64_t end = start + std::llround(seconds / av_q2d(in_stream->time_base));
  while ((r = av_read_frame(in, e.packet)) >= 0) {
    if (e.packet->stream_index != video) {
      av_packet_unref(e.packet);
      continue;
    }
    if (e.packet->dts != AV_NOPTS_VALUE && e.packet->dts >= end) {
      av_packet_unref(e.packet);
      break;
    }
    e.packet->stream_index = 0;
    av_packet_rescale_ts(e.packet, in_stream->time_base, e.stream->time_base);
    e.packet->pos = -1;
    r = av_interleaved_write_frame(e.muxer, e.packet);
    if (r < 0) return Error(out_path, "writing a packet failed", r);
  }
  r = av_write_trailer(e.muxer);
  if (r < 0) return Error(out_path, "cannot write the trailer", r);
  return absl::OkStatus();
}

}  // namespace video::testing

// libx265 keeps a small global allocation alive after its encoder closes; LeakSanitizer
// (--config=asan) would report it in every test that encodes H.265.
extern "C" const char* __lsan_default_suppressions() { return "leak:libx265.so\n"; }
