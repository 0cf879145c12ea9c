// Training augmentations (train/data/augment.h). Every random choice is drawn once per clip
// from the caller's generator, in a fixed order, with our own uniform/normal transforms of
// its raw 64-bit output (so results do not depend on the standard library's distributions);
// each augmentation then applies the same transform to every frame. Noise fields (Gaussian
// noise, the erased box) are drawn once and added to every frame alike. Single-threaded:
// the loader runs several clips at once on its own threads.
#include "train/data/augment.h"

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nn/check.h"

// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
}

namespace train::data {
namespace {

// ---------------------------------------------------------------------------------------
// Options: one table of fields drives JSON, validation and error messages.

struct DoubleField {
  const char* name;
  double AugmentOptions::*member;
  double min, max;  // allowed range, inclusive
};
struct IntField {
  const char* name;
  int AugmentOptions::*member;
  int min, max;
};

const DoubleField kDoubleFields[] = {
    {"hflip_probability", &AugmentOptions::hflip_probability, 0, 1},
    {"color_jitter_probability", &AugmentOptions::color_jitter_probability, 0, 1},
    {"brightness", &AugmentOptions::brightness, 0, 1},
    {"contrast", &AugmentOptions::contrast, 0, 1},
    {"saturation", &AugmentOptions::saturation, 0, 1},
    {"hue", &AugmentOptions::hue, 0, 0.5},
    {"downscale_probability", &AugmentOptions::downscale_probability, 0, 1},
    {"downscale_min", &AugmentOptions::downscale_min, 0.01, 1},
    {"blur_probability", &AugmentOptions::blur_probability, 0, 1},
    {"blur_sigma_max", &AugmentOptions::blur_sigma_max, 0.1, 10},
    {"noise_probability", &AugmentOptions::noise_probability, 0, 1},
    {"noise_std_max", &AugmentOptions::noise_std_max, 0, 1},
    {"jpeg_probability", &AugmentOptions::jpeg_probability, 0, 1},
    {"h264_probability", &AugmentOptions::h264_probability, 0, 1},
    {"erase_probability", &AugmentOptions::erase_probability, 0, 1},
    {"erase_max_area", &AugmentOptions::erase_max_area, 0.02, 1},
};
const IntField kIntFields[] = {
    {"jpeg_quality_min", &AugmentOptions::jpeg_quality_min, 1, 100},
    {"jpeg_quality_max", &AugmentOptions::jpeg_quality_max, 1, 100},
    {"h264_crf_min", &AugmentOptions::h264_crf_min, 0, 51},
    {"h264_crf_max", &AugmentOptions::h264_crf_max, 0, 51},
};

// The first problem with `options`, naming the option; empty when they are valid.
std::string OptionsProblem(const AugmentOptions& options) {
  for (const DoubleField& f : kDoubleFields) {
    const double v = options.*f.member;
    if (!(v >= f.min && v <= f.max)) {
      return absl::StrCat("augmentation option '", f.name, "' must be in [", f.min, ", ", f.max,
                          "], got ", v);
    }
  }
  for (const IntField& f : kIntFields) {
    const int v = options.*f.member;
    if (v < f.min || v > f.max) {
      return absl::StrCat("augmentation option '", f.name, "' must be an integer in ", f.min, "..",
                          f.max, ", got ", v);
    }
  }
  if (options.jpeg_quality_min > options.jpeg_quality_max) {
    return absl::StrCat("augmentation options 'jpeg_quality_min' (", options.jpeg_quality_min,
                        ") must not exceed 'jpeg_quality_max' (", options.jpeg_quality_max, ")");
  }
  if (options.h264_crf_min > options.h264_crf_max) {
    return absl::StrCat("augmentation options 'h264_crf_min' (", options.h264_crf_min,
                        ") must not exceed 'h264_crf_max' (", options.h264_crf_max, ")");
  }
  return "";
}

// ---------------------------------------------------------------------------------------
// Random draws from the raw generator output.

double Uniform01(std::mt19937_64& rng) { return double(rng() >> 11) * 0x1.0p-53; }  // [0, 1)
double Uniform(std::mt19937_64& rng, double lo, double hi) {
  return lo + (hi - lo) * Uniform01(rng);
}
int UniformInt(std::mt19937_64& rng, int lo, int hi) {  // [lo, hi]
  return std::min(hi, lo + static_cast<int>(Uniform01(rng) * (hi - lo + 1)));
}
// A probability of 0 draws nothing, so disabled augmentations leave the generator alone.
bool Happens(std::mt19937_64& rng, double probability) {
  return probability > 0 && Uniform01(rng) < probability;
}
// Standard normal values (Box-Muller), two per pair of uniforms.
void FillNormal(std::mt19937_64& rng, float scale, std::vector<float>* out) {
  for (size_t i = 0; i < out->size(); i += 2) {
    const double u1 = 1.0 - Uniform01(rng);  // (0, 1]
    const double u2 = Uniform01(rng);
    const double r = std::sqrt(-2.0 * std::log(u1)) * scale;
    (*out)[i] = static_cast<float>(r * std::cos(2 * M_PI * u2));
    if (i + 1 < out->size()) (*out)[i + 1] = static_cast<float>(r * std::sin(2 * M_PI * u2));
  }
}

// ---------------------------------------------------------------------------------------
// The clip: T frames of 3 planes of H x W floats.

struct Clip {
  float* data;
  int frames, height, width;
  int64_t plane() const { return int64_t(height) * width; }
  float* Plane(int t, int c) const { return data + (int64_t(t) * 3 + c) * plane(); }
};

void Clamp01(const Clip& clip) {
  float* p = clip.data;
  const int64_t n = int64_t(clip.frames) * 3 * clip.plane();
  for (int64_t i = 0; i < n; ++i) p[i] = std::min(1.0f, std::max(0.0f, p[i]));
}

void HorizontalFlip(const Clip& clip) {
  for (int t = 0; t < clip.frames; ++t) {
    for (int c = 0; c < 3; ++c) {
      float* plane = clip.Plane(t, c);
      for (int y = 0; y < clip.height; ++y) {
        std::reverse(plane + int64_t(y) * clip.width, plane + int64_t(y + 1) * clip.width);
      }
    }
  }
}

// Luma weights (ITU-R BT.601), as torchvision's rgb_to_grayscale.
constexpr double kGray[3] = {0.299, 0.587, 0.114};

// Colour jitter as one affine map of RGB, the same for the whole clip: brightness scales,
// contrast blends with the clip's mean grey, saturation blends each pixel with its grey,
// hue rotates the chroma plane of YIQ (which keeps luma). Clamped once at the end.
void ColorJitter(const Clip& clip, double brightness, double contrast, double saturation,
                 double hue_turns) {
  double mean_gray = 0;
  for (int t = 0; t < clip.frames; ++t) {
    for (int c = 0; c < 3; ++c) {
      const float* p = clip.Plane(t, c);
      double sum = 0;
      for (int64_t i = 0; i < clip.plane(); ++i) sum += p[i];
      mean_gray += kGray[c] * sum;
    }
  }
  mean_gray /= double(clip.frames) * clip.plane();
  // x -> hue * saturation * (brightness * contrast * x + (1 - contrast) * brightness * mean).
  // Saturation and hue map grey (1, 1, 1) to itself, so the offset stays a grey level.
  double sat[3][3];
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) sat[i][j] = (1 - saturation) * kGray[j] + (i == j ? saturation : 0);
  }
  static constexpr double kYiq[3][3] = {
      {0.299, 0.587, 0.114}, {0.596, -0.274, -0.322}, {0.211, -0.523, 0.312}};
  double yiq_to_rgb[3][3];  // the inverse of kYiq, by cofactors
  {
    const double(&a)[3][3] = kYiq;
    const double det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
                       a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
                       a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) {
        const int r0 = (j + 1) % 3, r1 = (j + 2) % 3, c0 = (i + 1) % 3, c1 = (i + 2) % 3;
        yiq_to_rgb[i][j] = (a[r0][c0] * a[r1][c1] - a[r0][c1] * a[r1][c0]) / det;
      }
    }
  }
  const double angle = 2 * M_PI * hue_turns, cs = std::cos(angle), sn = std::sin(angle);
  const double rot[3][3] = {{1, 0, 0}, {0, cs, -sn}, {0, sn, cs}};
  auto multiply = [](const double a[3][3], const double b[3][3], double out[3][3]) {
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) {
        out[i][j] = 0;
        for (int k = 0; k < 3; ++k) out[i][j] += a[i][k] * b[k][j];
      }
    }
  };
  double hue[3][3], tmp[3][3], m[3][3];
  if (hue_turns == 0) {
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) hue[i][j] = i == j;
    }
  } else {
    multiply(rot, kYiq, tmp);
    multiply(yiq_to_rgb, tmp, hue);
  }
  multiply(hue, sat, m);
  float mf[3][3], offset[3];
  for (int i = 0; i < 3; ++i) {
    double row_sum = 0;
    for (int j = 0; j < 3; ++j) {
      mf[i][j] = static_cast<float>(m[i][j] * brightness * contrast);
      row_sum += m[i][j];
    }
    offset[i] = static_cast<float>(row_sum * (1 - contrast) * brightness * mean_gray);
  }
  for (int t = 0; t < clip.frames; ++t) {
    float* r = clip.Plane(t, 0);
    float* g = clip.Plane(t, 1);
    float* b = clip.Plane(t, 2);
    for (int64_t i = 0; i < clip.plane(); ++i) {
      const float x0 = r[i], x1 = g[i], x2 = b[i];
      float y[3];
      for (int k = 0; k < 3; ++k) {
        y[k] = mf[k][0] * x0 + mf[k][1] * x1 + mf[k][2] * x2 + offset[k];
        y[k] = std::min(1.0f, std::max(0.0f, y[k]));
      }
      r[i] = y[0], g[i] = y[1], b[i] = y[2];
    }
  }
}

// Bilinear resampling with pixel centres at +0.5 (align_corners=False), separable.
struct Taps {
  std::vector<int> index;     // left/top source sample
  std::vector<float> weight;  // weight of index + 1
};
Taps BilinearTaps(int src, int dst) {
  Taps taps;
  taps.index.resize(dst);
  taps.weight.resize(dst);
  const double scale = double(src) / dst;
  for (int i = 0; i < dst; ++i) {
    double x = (i + 0.5) * scale - 0.5;
    x = std::max(0.0, std::min(double(src - 1), x));
    int x0 = std::min(static_cast<int>(x), std::max(0, src - 2));
    taps.index[i] = x0;
    taps.weight[i] = src == 1 ? 0.0f : static_cast<float>(x - x0);
  }
  return taps;
}
void ResizePlane(const float* src, int src_h, int src_w, float* dst, int dst_h, int dst_w,
                 std::vector<float>* row_buffer) {
  const Taps xs = BilinearTaps(src_w, dst_w), ys = BilinearTaps(src_h, dst_h);
  // Horizontal pass into [src_h, dst_w], then vertical.
  std::vector<float>& rows = *row_buffer;
  rows.resize(size_t(src_h) * dst_w);
  for (int y = 0; y < src_h; ++y) {
    const float* s = src + int64_t(y) * src_w;
    float* d = rows.data() + int64_t(y) * dst_w;
    for (int x = 0; x < dst_w; ++x) {
      const int i = xs.index[x];
      const float w = xs.weight[x];
      d[x] = s[i] + w * (s[std::min(i + 1, src_w - 1)] - s[i]);
    }
  }
  for (int y = 0; y < dst_h; ++y) {
    const int i = ys.index[y];
    const float w = ys.weight[y];
    const float* a = rows.data() + int64_t(i) * dst_w;
    const float* b = rows.data() + int64_t(std::min(i + 1, src_h - 1)) * dst_w;
    float* d = dst + int64_t(y) * dst_w;
    for (int x = 0; x < dst_w; ++x) d[x] = a[x] + w * (b[x] - a[x]);
  }
}

void DownscaleUpscale(const Clip& clip, double factor) {
  const int h = std::max(1, static_cast<int>(std::lround(clip.height * factor)));
  const int w = std::max(1, static_cast<int>(std::lround(clip.width * factor)));
  if (h == clip.height && w == clip.width) return;
  std::vector<float> small(size_t(h) * w), buffer;
  for (int t = 0; t < clip.frames; ++t) {
    for (int c = 0; c < 3; ++c) {
      float* plane = clip.Plane(t, c);
      ResizePlane(plane, clip.height, clip.width, small.data(), h, w, &buffer);
      ResizePlane(small.data(), h, w, plane, clip.height, clip.width, &buffer);
    }
  }
}

// Separable Gaussian, radius ceil(3 sigma), edges extended (clamp to the border).
void GaussianBlur(const Clip& clip, double sigma) {
  const int radius = std::max(1, static_cast<int>(std::ceil(3 * sigma)));
  std::vector<float> kernel(2 * radius + 1);
  double total = 0;
  for (int k = -radius; k <= radius; ++k) total += std::exp(-0.5 * k * k / (sigma * sigma));
  for (int k = -radius; k <= radius; ++k) {
    kernel[k + radius] = static_cast<float>(std::exp(-0.5 * k * k / (sigma * sigma)) / total);
  }
  const int h = clip.height, w = clip.width;
  std::vector<float> padded(w + 2 * radius), tmp(size_t(h) * w);
  for (int t = 0; t < clip.frames; ++t) {
    for (int c = 0; c < 3; ++c) {
      float* plane = clip.Plane(t, c);
      for (int y = 0; y < h; ++y) {  // horizontal: plane -> tmp
        const float* s = plane + int64_t(y) * w;
        for (int x = 0; x < radius; ++x) {
          padded[x] = s[0];
          padded[w + radius + x] = s[w - 1];
        }
        std::copy(s, s + w, padded.begin() + radius);
        float* d = tmp.data() + int64_t(y) * w;
        std::fill(d, d + w, 0.0f);
        for (int k = 0; k <= 2 * radius; ++k) {
          const float kw = kernel[k];
          const float* p = padded.data() + k;
          for (int x = 0; x < w; ++x) d[x] += kw * p[x];
        }
      }
      for (int y = 0; y < h; ++y) {  // vertical: tmp -> plane
        float* d = plane + int64_t(y) * w;
        std::fill(d, d + w, 0.0f);
        for (int k = -radius; k <= radius; ++k) {
          const float kw = kernel[k + radius];
          const float* s = tmp.data() + int64_t(std::min(h - 1, std::max(0, y + k))) * w;
          for (int x = 0; x < w; ++x) d[x] += kw * s[x];
        }
      }
    }
  }
}

// The same noise field on every frame.
void AddNoise(const Clip& clip, const std::vector<float>& noise) {
  for (int t = 0; t < clip.frames; ++t) {
    float* p = clip.Plane(t, 0);
    for (int64_t i = 0; i < 3 * clip.plane(); ++i) p[i] += noise[i];
  }
}

// Interleaved 8-bit RGB of frame t, and back.
void FrameToRgb8(const Clip& clip, int t, uint8_t* rgb) {
  const float* planes[3] = {clip.Plane(t, 0), clip.Plane(t, 1), clip.Plane(t, 2)};
  for (int64_t i = 0; i < clip.plane(); ++i) {
    for (int c = 0; c < 3; ++c) {
      const float v = std::min(1.0f, std::max(0.0f, planes[c][i]));
      rgb[3 * i + c] = static_cast<uint8_t>(std::lround(v * 255.0f));
    }
  }
}
void Rgb8ToFrame(const uint8_t* rgb, const Clip& clip, int t) {
  float* planes[3] = {clip.Plane(t, 0), clip.Plane(t, 1), clip.Plane(t, 2)};
  for (int64_t i = 0; i < clip.plane(); ++i) {
    for (int c = 0; c < 3; ++c) planes[c][i] = rgb[3 * i + c] * (1.0f / 255.0f);
  }
}

// libjpeg reports errors through a callback that must not return: jump back out.
struct JpegErrorManager {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};
void OnJpegError(j_common_ptr info) {
  auto* errors = reinterpret_cast<JpegErrorManager*>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->jump, 1);
}

// Compresses `rgb` (width x height x 3) at `quality` and decompresses it in place. Plain C
// objects only between setjmp and longjmp. Returns false with `errors->message` on failure.
bool JpegRoundTrip(uint8_t* rgb, int width, int height, int quality, JpegErrorManager* errors) {
  jpeg_compress_struct out;
  jpeg_decompress_struct in;
  unsigned char* bytes = nullptr;
  unsigned long size = 0;  // NOLINT(runtime/int): libjpeg's type
  out.err = jpeg_std_error(&errors->manager);
  in.err = &errors->manager;
  errors->manager.error_exit = OnJpegError;
  if (setjmp(errors->jump)) return false;
  jpeg_create_compress(&out);
  jpeg_mem_dest(&out, &bytes, &size);
  out.image_width = width;
  out.image_height = height;
  out.input_components = 3;
  out.in_color_space = JCS_RGB;
  jpeg_set_defaults(&out);  // 4:2:0 chroma, baseline Huffman tables
  out.dct_method = JDCT_ISLOW;
  jpeg_set_quality(&out, quality, TRUE);
  jpeg_start_compress(&out, TRUE);
  while (out.next_scanline < out.image_height) {
    JSAMPROW row = rgb + size_t(out.next_scanline) * width * 3;
    jpeg_write_scanlines(&out, &row, 1);
  }
  jpeg_finish_compress(&out);
  jpeg_destroy_compress(&out);

  jpeg_create_decompress(&in);
  jpeg_mem_src(&in, bytes, size);
  jpeg_read_header(&in, TRUE);
  in.out_color_space = JCS_RGB;
  in.dct_method = JDCT_ISLOW;
  jpeg_start_decompress(&in);
  while (in.output_scanline < in.output_height) {
    JSAMPROW row = rgb + size_t(in.output_scanline) * width * 3;
    jpeg_read_scanlines(&in, &row, 1);
  }
  jpeg_finish_decompress(&in);
  jpeg_destroy_decompress(&in);
  std::free(bytes);
  return true;
}

void Jpeg(const Clip& clip, int quality) {
  std::vector<uint8_t> rgb(size_t(3) * clip.plane());
  JpegErrorManager errors;
  for (int t = 0; t < clip.frames; ++t) {
    FrameToRgb8(clip, t, rgb.data());
    NN_CHECK(JpegRoundTrip(rgb.data(), clip.width, clip.height, quality, &errors))
        << "JPEG round trip of a " << clip.width << "x" << clip.height
        << " frame failed: " << errors.message;
    Rgb8ToFrame(rgb.data(), clip, t);
  }
}

// ---- H.264: libx264 and FFmpeg's decoder in memory (no container), 4:2:0 limited-range
// BT.601 as in ordinary videos; odd sizes are padded by repeating the last row/column.

std::string AvErrorText(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof(text));
  return text;
}

struct H264Codecs {
  ~H264Codecs() {
    avcodec_free_context(&encoder);
    avcodec_free_context(&decoder);
    av_frame_free(&input);
    av_frame_free(&output);
    av_packet_free(&packet);
  }
  AVCodecContext* encoder = nullptr;
  AVCodecContext* decoder = nullptr;
  AVFrame* input = nullptr;
  AVFrame* output = nullptr;
  AVPacket* packet = nullptr;
};

// FFmpeg failures here are out-of-memory or a broken FFmpeg build, not bad input.
void CheckAv(int result, const std::string& what) {
  NN_CHECK(result >= 0) << "H.264 augmentation: " << what << ": " << AvErrorText(result);
}

class H264RoundTrip {
 public:
  H264RoundTrip(const Clip& clip, int crf)
      : clip_(clip), width_(clip.width + clip.width % 2), height_(clip.height + clip.height % 2) {
    const AVCodec* x264 = avcodec_find_encoder_by_name("libx264");
    NN_CHECK(x264 != nullptr) << "H.264 augmentation: this FFmpeg has no libx264 encoder";
    const AVCodec* h264 = avcodec_find_decoder(AV_CODEC_ID_H264);
    NN_CHECK(h264 != nullptr) << "H.264 augmentation: this FFmpeg has no H.264 decoder";
    c_.encoder = avcodec_alloc_context3(x264);
    c_.decoder = avcodec_alloc_context3(h264);
    c_.input = av_frame_alloc();
    c_.output = av_frame_alloc();
    c_.packet = av_packet_alloc();
    NN_CHECK(c_.encoder && c_.decoder && c_.input && c_.output && c_.packet)
        << "H.264 augmentation: out of memory";
    AVCodecContext* e = c_.encoder;
    e->width = width_;
    e->height = height_;
    e->pix_fmt = AV_PIX_FMT_YUV420P;
    e->time_base = AVRational{1, 25};
    e->framerate = AVRational{25, 1};
    e->gop_size = std::max(1, clip.frames);  // one keyframe, then predicted frames
    e->thread_count = 1;
    e->flags |= AV_CODEC_FLAG_BITEXACT;
    AVDictionary* opts = nullptr;
    av_dict_set(&opts, "crf", std::to_string(crf).c_str(), 0);
    av_dict_set(&opts, "preset", "veryfast", 0);
    // As video/encoder.cc: single-threaded x264 up to AVX2 gives the same bytes every run
    // (log=-1: quiet; one clip's statistics are noise on a training console).
    av_dict_set(&opts, "x264-params",
                "log=-1:threads=1:lookahead-threads=1:sliced-threads=0:asm=MMX2,SSE,SSE2,"
                "SSE2Fast,SSE3,SSSE3,SSE4.1,SSE4.2,LZCNT,AVX,FMA3,BMI1,BMI2,AVX2,Cache64",
                0);
    const int opened = avcodec_open2(e, x264, &opts);
    av_dict_free(&opts);
    CheckAv(opened, absl::StrCat("cannot open libx264 for ", width_, "x", height_));
    c_.decoder->thread_count = 1;
    CheckAv(avcodec_open2(c_.decoder, h264, nullptr), "cannot open the H.264 decoder");
    c_.input->format = AV_PIX_FMT_YUV420P;
    c_.input->width = width_;
    c_.input->height = height_;
    CheckAv(av_frame_get_buffer(c_.input, 0), "cannot allocate a frame");
    chroma_.resize(size_t(width_ / 2) * (height_ / 2));
    chroma_full_[0].resize(size_t(width_) * height_);
    chroma_full_[1].resize(size_t(width_) * height_);
  }

  void Run() {
    for (int t = 0; t < clip_.frames; ++t) {
      CheckAv(av_frame_make_writable(c_.input), "cannot write a frame");
      ToYuv(t);
      c_.input->pts = t;
      Encode(c_.input);
    }
    Encode(nullptr);
    Decode(nullptr);
    NN_CHECK_EQ(decoded_, clip_.frames) << "H.264 augmentation: frames lost in the round trip";
  }

 private:
  // Padded coordinates -> source pixel.
  float At(const float* plane, int y, int x) const {
    return plane[int64_t(std::min(y, clip_.height - 1)) * clip_.width +
                 std::min(x, clip_.width - 1)];
  }

  void ToYuv(int t) {
    const float* r = clip_.Plane(t, 0);
    const float* g = clip_.Plane(t, 1);
    const float* b = clip_.Plane(t, 2);
    auto byte = [](double v) {
      return static_cast<uint8_t>(std::lround(std::min(255.0, std::max(0.0, v))));
    };
    AVFrame* f = c_.input;
    for (int y = 0; y < height_; ++y) {
      uint8_t* row = f->data[0] + int64_t(y) * f->linesize[0];
      for (int x = 0; x < width_; ++x) {
        const double luma =
            kGray[0] * At(r, y, x) + kGray[1] * At(g, y, x) + kGray[2] * At(b, y, x);
        row[x] = byte(16 + 219 * luma);
      }
    }
    for (int y = 0; y < height_ / 2; ++y) {
      uint8_t* u = f->data[1] + int64_t(y) * f->linesize[1];
      uint8_t* v = f->data[2] + int64_t(y) * f->linesize[2];
      for (int x = 0; x < width_ / 2; ++x) {
        double rr = 0, gg = 0, bb = 0;
        for (int dy = 0; dy < 2; ++dy) {
          for (int dx = 0; dx < 2; ++dx) {
            rr += At(r, 2 * y + dy, 2 * x + dx);
            gg += At(g, 2 * y + dy, 2 * x + dx);
            bb += At(b, 2 * y + dy, 2 * x + dx);
          }
        }
        rr /= 4, gg /= 4, bb /= 4;
        u[x] = byte(128 + 224 * (-0.168736 * rr - 0.331264 * gg + 0.5 * bb));
        v[x] = byte(128 + 224 * (0.5 * rr - 0.418688 * gg - 0.081312 * bb));
      }
    }
  }

  void FromYuv(const AVFrame* f, int t) {
    NN_CHECK(f->width == width_ && f->height == height_ && f->format == AV_PIX_FMT_YUV420P)
        << "H.264 augmentation: decoded a " << f->width << "x" << f->height << " frame of format "
        << f->format << ", encoded " << width_ << "x" << height_;
    const int cw = width_ / 2, ch = height_ / 2;
    for (int k = 0; k < 2; ++k) {
      for (int y = 0; y < ch; ++y) {
        const uint8_t* s = f->data[1 + k] + int64_t(y) * f->linesize[1 + k];
        for (int x = 0; x < cw; ++x) chroma_[int64_t(y) * cw + x] = (s[x] - 128) / 224.0f;
      }
      ResizePlane(chroma_.data(), ch, cw, chroma_full_[k].data(), height_, width_, &buffer_);
    }
    float* r = clip_.Plane(t, 0);
    float* g = clip_.Plane(t, 1);
    float* b = clip_.Plane(t, 2);
    for (int y = 0; y < clip_.height; ++y) {
      const uint8_t* luma = f->data[0] + int64_t(y) * f->linesize[0];
      for (int x = 0; x < clip_.width; ++x) {
        const float l = (luma[x] - 16) / 219.0f;
        const float cb = chroma_full_[0][int64_t(y) * width_ + x];
        const float cr = chroma_full_[1][int64_t(y) * width_ + x];
        const int64_t i = int64_t(y) * clip_.width + x;
        r[i] = std::min(1.0f, std::max(0.0f, l + 1.402f * cr));
        g[i] = std::min(1.0f, std::max(0.0f, l - 0.344136f * cb - 0.714136f * cr));
        b[i] = std::min(1.0f, std::max(0.0f, l + 1.772f * cb));
      }
    }
  }

  // Sends `frame` (null flushes) and decodes every packet the encoder returns.
  void Encode(const AVFrame* frame) {
    CheckAv(avcodec_send_frame(c_.encoder, frame), "encoding failed");
    for (;;) {
      const int r = avcodec_receive_packet(c_.encoder, c_.packet);
      if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return;
      CheckAv(r, "encoding failed");
      Decode(c_.packet);
      av_packet_unref(c_.packet);
    }
  }
  void Decode(const AVPacket* packet) {
    CheckAv(avcodec_send_packet(c_.decoder, packet), "decoding failed");
    for (;;) {
      const int r = avcodec_receive_frame(c_.decoder, c_.output);
      if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return;
      CheckAv(r, "decoding failed");
      NN_CHECK_LT(decoded_, clip_.frames) << "H.264 augmentation: too many decoded frames";
      FromYuv(c_.output, decoded_++);
      av_frame_unref(c_.output);
    }
  }

  Clip clip_;
  int width_, height_;
  H264Codecs c_;
  int decoded_ = 0;
  std::vector<float> chroma_, chroma_full_[2], buffer_;
};

void EraseBox(const Clip& clip, int top, int left, int box_h, int box_w,
              const std::vector<float>& fill) {
  for (int t = 0; t < clip.frames; ++t) {
    for (int c = 0; c < 3; ++c) {
      float* plane = clip.Plane(t, c);
      for (int y = 0; y < box_h; ++y) {
        std::copy_n(fill.data() + (int64_t(c) * box_h + y) * box_w, box_w,
                    plane + int64_t(top + y) * clip.width + left);
      }
    }
  }
}

}  // namespace

AugmentOptions AugmentOptionsForPreset(const nn::ModelPreset& preset) {
  const int size = preset.preprocessing.image_size;
  // Relative to the 224 px crops the recipe was written for: blur shrinks with the crop, and
  // downscaling never goes below 24 px.
  const double scale = std::min(1.0, size / 224.0);
  AugmentOptions options;
  options.hflip_probability = 0.5;
  options.color_jitter_probability = 0.5;
  options.downscale_probability = 0.2;
  options.downscale_min = std::max(0.5, std::min(0.9, 24.0 / size));
  options.blur_probability = 0.2;
  options.blur_sigma_max = std::max(0.3, 1.5 * scale);
  options.noise_probability = 0.2;
  options.jpeg_probability = 0.3;
  options.h264_probability = 0.1;
  options.erase_probability = 0.2;
  return options;
}

AugmentOptions NoAugmentation() {
  AugmentOptions options;
  options.hflip_probability = 0;
  options.color_jitter_probability = 0;
  options.downscale_probability = 0;
  options.blur_probability = 0;
  options.noise_probability = 0;
  options.jpeg_probability = 0;
  options.h264_probability = 0;
  options.erase_probability = 0;
  return options;
}

nlohmann::json AugmentOptionsToJson(const AugmentOptions& options) {
  nlohmann::json json = nlohmann::json::object();
  for (const DoubleField& f : kDoubleFields) json[f.name] = options.*f.member;
  for (const IntField& f : kIntFields) json[f.name] = options.*f.member;
  return json;
}

absl::StatusOr<AugmentOptions> AugmentOptionsFromJson(const nlohmann::json& json) {
  if (!json.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("augmentation options must be a JSON object, got ", json.type_name()));
  }
  AugmentOptions options;
  for (const auto& [key, value] : json.items()) {
    bool known = false;
    for (const DoubleField& f : kDoubleFields) {
      if (key != f.name) continue;
      known = true;
      if (!value.is_number()) {
        return absl::InvalidArgumentError(
            absl::StrCat("augmentation option '", key, "' must be a number, got ", value.dump()));
      }
      options.*f.member = value.get<double>();
    }
    for (const IntField& f : kIntFields) {
      if (key != f.name) continue;
      known = true;
      if (!value.is_number_integer()) {
        return absl::InvalidArgumentError(
            absl::StrCat("augmentation option '", key, "' must be an integer, got ", value.dump()));
      }
      const int64_t v = value.get<int64_t>();
      if (v < f.min || v > f.max) {
        return absl::InvalidArgumentError(absl::StrCat("augmentation option '", key,
                                                       "' must be an integer in ", f.min, "..",
                                                       f.max, ", got ", v));
      }
      options.*f.member = static_cast<int>(v);
    }
    if (!known) {
      std::vector<std::string> names;
      for (const DoubleField& f : kDoubleFields) names.push_back(f.name);
      for (const IntField& f : kIntFields) names.push_back(f.name);
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown augmentation option '", key, "' (known: ", absl::StrJoin(names, ", "), ")"));
    }
  }
  if (std::string problem = OptionsProblem(options); !problem.empty()) {
    return absl::InvalidArgumentError(problem);
  }
  return options;
}

void AugmentClip(nn::Tensor* clip_tensor, const AugmentOptions& options, std::mt19937_64& rng) {
  NN_CHECK(clip_tensor != nullptr && clip_tensor->defined()) << "AugmentClip: no clip";
  const nn::Tensor& tensor = *clip_tensor;
  NN_CHECK(tensor.rank() == 4 && tensor.dim(1) == 3 && tensor.dtype() == nn::DType::kFloat32 &&
           tensor.device().is_cpu())
      << "AugmentClip: the clip must be [T, 3, H, W] float32 on the CPU, got " << tensor.shape()
      << " " << nn::DTypeName(tensor.dtype()) << " on " << tensor.device();
  const std::string problem = OptionsProblem(options);
  NN_CHECK(problem.empty()) << "AugmentClip: " << problem;
  const Clip clip{clip_tensor->data<float>(), static_cast<int>(tensor.dim(0)),
                  static_cast<int>(tensor.dim(2)), static_cast<int>(tensor.dim(3))};
  if (clip.frames == 0 || clip.plane() == 0) return;

  if (Happens(rng, options.hflip_probability)) HorizontalFlip(clip);
  if (Happens(rng, options.color_jitter_probability)) {
    auto factor = [&](double x) { return Uniform(rng, std::max(0.0, 1 - x), 1 + x); };
    const double brightness = factor(options.brightness);
    const double contrast = factor(options.contrast);
    const double saturation = factor(options.saturation);
    const double hue = Uniform(rng, -options.hue, options.hue);
    ColorJitter(clip, brightness, contrast, saturation, hue);
  }
  if (Happens(rng, options.downscale_probability)) {
    DownscaleUpscale(clip, Uniform(rng, options.downscale_min, 1.0));
  }
  if (Happens(rng, options.blur_probability)) {
    GaussianBlur(clip, Uniform(rng, 0.1, std::max(0.1, options.blur_sigma_max)));
    Clamp01(clip);  // normalized weights; this only removes rounding excursions
  }
  if (Happens(rng, options.noise_probability)) {
    std::vector<float> noise(size_t(3) * clip.plane());
    FillNormal(rng, static_cast<float>(Uniform(rng, 0, options.noise_std_max)), &noise);
    AddNoise(clip, noise);
    Clamp01(clip);
  }
  if (Happens(rng, options.jpeg_probability)) {
    Jpeg(clip, UniformInt(rng, options.jpeg_quality_min, options.jpeg_quality_max));
  }
  if (Happens(rng, options.h264_probability)) {
    H264RoundTrip(clip, UniformInt(rng, options.h264_crf_min, options.h264_crf_max)).Run();
  }
  if (Happens(rng, options.erase_probability)) {
    // torchvision's RandomErasing: area fraction and log-uniform aspect ratio, up to 10 tries
    // to fit; then a square of the same area (which always fits).
    const double area = Uniform(rng, 0.02, options.erase_max_area) * clip.plane();
    int box_h = 0, box_w = 0;
    for (int attempt = 0; attempt < 10 && box_h == 0; ++attempt) {
      const double aspect = std::exp(Uniform(rng, std::log(0.3), std::log(1 / 0.3)));
      const int h = static_cast<int>(std::lround(std::sqrt(area * aspect)));
      const int w = static_cast<int>(std::lround(std::sqrt(area / aspect)));
      if (h >= 1 && w >= 1 && h <= clip.height && w <= clip.width) box_h = h, box_w = w;
    }
    if (box_h == 0) {
      const double side = std::sqrt(area);
      box_h = std::max(1, std::min(clip.height, static_cast<int>(std::lround(side))));
      box_w = std::max(1, std::min(clip.width, static_cast<int>(std::lround(area / box_h))));
    }
    const int top = UniformInt(rng, 0, clip.height - box_h);
    const int left = UniformInt(rng, 0, clip.width - box_w);
    std::vector<float> fill(size_t(3) * box_h * box_w);
    for (float& v : fill) v = static_cast<float>(Uniform01(rng));
    EraseBox(clip, top, left, box_h, box_w, fill);
  }
}

}  // namespace train::data
