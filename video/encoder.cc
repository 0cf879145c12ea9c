// H.264/MP4 encoding through libavcodec (libx264) and libavformat. Determinism: one x264
// thread, no lookahead threads, x264 kernels up to AVX2 only, bit-exact muxing (no version
// strings or creation times), colour conversion from a padded, aligned copy of the input.
#include "video/encoder.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

namespace video {
namespace {

std::string AvErrorText(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof(text));
  return text;
}

}  // namespace

struct Encoder::State {
  ~State() {
    sws_freeContext(sws);
    av_free(rgb);
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&codec);
    if (muxer != nullptr) {
      if (muxer->pb != nullptr) avio_closep(&muxer->pb);
      avformat_free_context(muxer);
    }
  }
  absl::Status Fail(const std::string& what, int code) const {
    return absl::InternalError(absl::StrCat(path, ": ", what, ": ", AvErrorText(code)));
  }
  // Sends `f` (null flushes) and writes every packet the encoder returns.
  absl::Status Drain(const AVFrame* f) {
    int r = avcodec_send_frame(codec, f);
    if (r < 0) return Fail("encoding failed", r);
    for (;;) {
      r = avcodec_receive_packet(codec, packet);
      if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return absl::OkStatus();
      if (r < 0) return Fail("encoding failed", r);
      av_packet_rescale_ts(packet, codec->time_base, stream->time_base);
      packet->stream_index = stream->index;
      r = av_interleaved_write_frame(muxer, packet);
      if (r < 0) return Fail("writing failed", r);
    }
  }

  std::string path;
  int width = 0, height = 0;
  int64_t next_pts = 0;
  bool closed = false;
  AVFormatContext* muxer = nullptr;
  AVCodecContext* codec = nullptr;
  AVStream* stream = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* packet = nullptr;
  SwsContext* sws = nullptr;
  // The RGB input, copied to a 64-byte aligned buffer with a 64-byte aligned stride: the
  // colour converter picks its SIMD code path by alignment, so caller buffers at varying
  // addresses would give (slightly) different pixels and bytes from run to run.
  uint8_t* rgb = nullptr;
  int rgb_stride = 0;
};

Encoder::Encoder(std::unique_ptr<State> state) : state_(std::move(state)) {}
Encoder::~Encoder() = default;

int64_t Encoder::frames_written() const { return state_->next_pts; }

absl::StatusOr<std::unique_ptr<Encoder>> Encoder::Open(const std::string& path, int width,
                                                       int height, const EncoderOptions& options) {
  if (width <= 0 || height <= 0 || width % 2 != 0 || height % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": frame size ", width, "x", height, " must be positive and even"));
  }
  if (options.crf < 0 || options.crf > 51) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": crf ", options.crf, " not in 0..51"));
  }
  if (!(options.frame_rate > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": frame rate must be positive"));
  }
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (codec == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, ": this FFmpeg has no libx264 encoder (install libavcodec59 with x264)"));
  }
  auto s = std::make_unique<State>();
  s->path = path, s->width = width, s->height = height;
  int r = avformat_alloc_output_context2(&s->muxer, nullptr, "mp4", path.c_str());
  if (r < 0) return s->Fail("cannot create the MP4 muxer", r);
  s->muxer->flags |= AVFMT_FLAG_BITEXACT;
  s->stream = avformat_new_stream(s->muxer, nullptr);
  s->codec = avcodec_alloc_context3(codec);
  if (s->stream == nullptr || s->codec == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(path, ": out of memory"));
  }
  // Frame rate as a rational with a fine time base (29.97 -> 30000/1001 style precision).
  const AVRational rate = av_d2q(options.frame_rate, 100000);
  s->codec->width = width;
  s->codec->height = height;
  s->codec->pix_fmt = AV_PIX_FMT_YUV420P;
  s->codec->time_base = av_inv_q(rate);
  s->codec->framerate = rate;
  s->codec->gop_size = options.gop_size;
  s->codec->thread_count = 1;
  s->codec->flags |= AV_CODEC_FLAG_BITEXACT;
  if (s->muxer->oformat->flags & AVFMT_GLOBALHEADER) {
    s->codec->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  }
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "crf", std::to_string(options.crf).c_str(), 0);
  av_dict_set(&opts, "preset", options.preset.c_str(), 0);
  // Single-threaded x264 with no sliced or lookahead threads is bit-reproducible, except
  // that its AVX-512 kernels read uninitialized heap bytes (outputs then vary from run to
  // run with the heap's history; found with MALLOC_PERTURB_). The instruction sets up to AVX2
  // (the project's x86-64-v3 baseline) give the same bytes every run and on every machine.
  av_dict_set(&opts, "x264-params",
              "threads=1:lookahead-threads=1:sliced-threads=0:asm=MMX2,SSE,SSE2,SSE2Fast,SSE3,"
              "SSSE3,SSE4.1,SSE4.2,LZCNT,AVX,FMA3,BMI1,BMI2,AVX2,Cache64",
              0);
  r = avcodec_open2(s->codec, codec, &opts);
  av_dict_free(&opts);
  if (r < 0) return s->Fail("cannot open libx264", r);
  r = avcodec_parameters_from_context(s->stream->codecpar, s->codec);
  if (r < 0) return s->Fail("cannot set stream parameters", r);
  s->stream->time_base = s->codec->time_base;
  s->stream->avg_frame_rate = rate;
  r = avio_open(&s->muxer->pb, path.c_str(), AVIO_FLAG_WRITE);
  if (r < 0) return s->Fail("cannot open for writing", r);
  r = avformat_write_header(s->muxer, nullptr);
  if (r < 0) return s->Fail("cannot write the MP4 header", r);
  s->frame = av_frame_alloc();
  s->packet = av_packet_alloc();
  if (s->frame == nullptr || s->packet == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(path, ": out of memory"));
  }
  s->frame->format = AV_PIX_FMT_YUV420P;
  s->frame->width = width;
  s->frame->height = height;
  r = av_frame_get_buffer(s->frame, 0);
  if (r < 0) return s->Fail("cannot allocate a frame", r);
  // RGB (full range) -> YUV 4:2:0 (limited range BT.601, what players assume by default).
  s->sws = sws_getContext(width, height, AV_PIX_FMT_RGB24, width, height, AV_PIX_FMT_YUV420P,
                          SWS_BICUBIC | SWS_ACCURATE_RND | SWS_BITEXACT, nullptr, nullptr, nullptr);
  if (s->sws == nullptr) {
    return absl::InternalError(absl::StrCat(path, ": cannot create the colour converter"));
  }
  // Zeroed padding of at least 64 bytes after every row and one extra row: the SIMD
  // converters read a little past the end of a line, and must read the same bytes each run.
  s->rgb_stride = (3 * width + 64 + 63) / 64 * 64;
  s->rgb = static_cast<uint8_t*>(av_mallocz(size_t(s->rgb_stride) * (height + 1)));
  if (s->rgb == nullptr) return absl::ResourceExhaustedError(absl::StrCat(path, ": out of memory"));
  return std::unique_ptr<Encoder>(new Encoder(std::move(s)));
}

absl::Status Encoder::Write(const Frame& frame) {
  State& s = *state_;
  if (s.closed) return absl::FailedPreconditionError(absl::StrCat(s.path, ": already closed"));
  if (frame.width != s.width || frame.height != s.height ||
      frame.rgb.size() != size_t(frame.width) * frame.height * 3) {
    return absl::InvalidArgumentError(absl::StrCat(s.path, ": frame ", s.next_pts, " is ",
                                                   frame.width, "x", frame.height,
                                                   ", the video is ", s.width, "x", s.height));
  }
  int r = av_frame_make_writable(s.frame);
  if (r < 0) return s.Fail("cannot write a frame", r);
  for (int y = 0; y < s.height; ++y) {
    std::memcpy(s.rgb + size_t(y) * s.rgb_stride, frame.rgb.data() + size_t(y) * 3 * s.width,
                size_t(3) * s.width);
  }
  // Clear the planes' padding too, so nothing uninitialized can reach the encoder.
  for (int i = 0; i < AV_NUM_DATA_POINTERS && s.frame->buf[i] != nullptr; ++i) {
    std::memset(s.frame->buf[i]->data, 0, s.frame->buf[i]->size);
  }
  const uint8_t* src[1] = {s.rgb};
  const int src_stride[1] = {s.rgb_stride};
  sws_scale(s.sws, src, src_stride, 0, s.height, s.frame->data, s.frame->linesize);
  s.frame->pts = s.next_pts++;
  return s.Drain(s.frame);
}

absl::Status Encoder::Close() {
  State& s = *state_;
  if (s.closed) return absl::FailedPreconditionError(absl::StrCat(s.path, ": already closed"));
  s.closed = true;
  RETURN_IF_ERROR(s.Drain(nullptr));
  int r = av_write_trailer(s.muxer);
  if (r < 0) return s.Fail("cannot finish the MP4", r);
  r = avio_closep(&s.muxer->pb);
  if (r < 0) return s.Fail("cannot close", r);
  return absl::OkStatus();
}

}  // namespace video
