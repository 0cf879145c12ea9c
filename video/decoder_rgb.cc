// RGB conversion and rotation of decoded frames.
#include "video/decoder_rgb.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "nn/check.h"

extern "C" {
#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

namespace video {
namespace {

// The deprecated full-range "J" formats as their plain equivalents plus a full-range flag.
AVPixelFormat WithoutJpegRange(AVPixelFormat format, bool* full_range) {
  switch (format) {
    case AV_PIX_FMT_YUVJ420P:
      *full_range = true;
      return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P:
      *full_range = true;
      return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P:
      *full_range = true;
      return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P:
      *full_range = true;
      return AV_PIX_FMT_YUV440P;
    case AV_PIX_FMT_YUVJ411P:
      *full_range = true;
      return AV_PIX_FMT_YUV411P;
    default:
      return format;
  }
}

// swscale's matrix id for the frame; unspecified means BT.709 for HD and BT.601 below.
int SwsColorspace(const AVFrame& frame) {
  switch (frame.colorspace) {
    case AVCOL_SPC_BT709:
      return SWS_CS_ITU709;
    case AVCOL_SPC_FCC:
      return SWS_CS_FCC;
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M:
      return SWS_CS_ITU601;
    case AVCOL_SPC_SMPTE240M:
      return SWS_CS_SMPTE240M;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL:
      return SWS_CS_BT2020;
    default:
      return (frame.width >= 1280 || frame.height > 576) ? SWS_CS_ITU709 : SWS_CS_ITU601;
  }
}

}  // namespace

namespace {

// RotateRgb on rows `stride` bytes apart.
void RotateRgbStrided(const uint8_t* rgb, size_t stride, int width, int height,
                      int clockwise_degrees, std::vector<uint8_t>* out, int* out_width,
                      int* out_height) {
  NN_CHECK(clockwise_degrees == 0 || clockwise_degrees == 90 || clockwise_degrees == 180 ||
           clockwise_degrees == 270)
      << "RotateRgb: " << clockwise_degrees << " degrees";
  const bool swap = clockwise_degrees == 90 || clockwise_degrees == 270;
  *out_width = swap ? height : width;
  *out_height = swap ? width : height;
  out->resize(size_t(width) * height * 3);
  uint8_t* dst = out->data();
  const int ow = *out_width;
  for (int y = 0; y < height; ++y) {
    const uint8_t* row = rgb + size_t(y) * stride;
    for (int x = 0; x < width; ++x) {
      int dx, dy;
      switch (clockwise_degrees) {
        case 90:
          dx = height - 1 - y;
          dy = x;
          break;
        case 180:
          dx = width - 1 - x;
          dy = height - 1 - y;
          break;
        case 270:
          dx = y;
          dy = width - 1 - x;
          break;
        default:
          dx = x;
          dy = y;
          break;
      }
      std::memcpy(dst + (size_t(dy) * ow + dx) * 3, row + size_t(x) * 3, 3);
    }
  }
}

}  // namespace

void RotateRgb(const uint8_t* rgb, int width, int height, int clockwise_degrees,
               std::vector<uint8_t>* out, int* out_width, int* out_height) {
  RotateRgbStrided(rgb, size_t(width) * 3, width, height, clockwise_degrees, out, out_width,
                   out_height);
}

RgbConverter::~RgbConverter() { sws_freeContext(sws_); }

absl::Status RgbConverter::Convert(const AVFrame& frame, int rotation_degrees, Frame* out) {
  bool full_range = frame.color_range == AVCOL_RANGE_JPEG;
  const AVPixelFormat format =
      WithoutJpegRange(static_cast<AVPixelFormat>(frame.format), &full_range);
  const int w = frame.width, h = frame.height;
  // Plain SWS_BILINEAR keeps swscale's SIMD YUV->RGB path (within 1-2 levels of exact);
  // SWS_ACCURATE_RND / SWS_FULL_CHR_H_INT were ~5x slower at 1080p.
  sws_ = sws_getCachedContext(sws_, w, h, format, w, h, AV_PIX_FMT_RGB24, SWS_BILINEAR, nullptr,
                              nullptr, nullptr);
  if (sws_ == nullptr) {
    const char* name = av_get_pix_fmt_name(format);
    return absl::UnimplementedError(
        absl::StrCat("cannot convert pixel format ", name ? name : "unknown", " to RGB"));
  }
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
  if (desc != nullptr && !(desc->flags & AV_PIX_FMT_FLAG_RGB) &&
      !(desc->flags & AV_PIX_FMT_FLAG_PAL)) {
    const int* coefficients = sws_getCoefficients(SwsColorspace(frame));
    sws_setColorspaceDetails(sws_, coefficients, full_range ? 1 : 0, coefficients, 1, 0, 1 << 16,
                             1 << 16);
  }
  // swscale's SIMD paths write whole vectors: convert into rows with an aligned stride and
  // slack at the end, then copy out (or rotate) the exact pixels.
  const size_t stride = (size_t(w) * 3 + 63) / 64 * 64;
  scratch_.resize(stride * h + 256);
  uint8_t* dst[4] = {scratch_.data(), nullptr, nullptr, nullptr};
  int dst_stride[4] = {static_cast<int>(stride), 0, 0, 0};
  const int rows = sws_scale(sws_, frame.data, frame.linesize, 0, h, dst, dst_stride);
  if (rows != h) {
    return absl::InternalError(
        absl::StrCat("colour conversion produced ", rows, " of ", h, " rows"));
  }
  if (rotation_degrees == 0) {
    out->width = w;
    out->height = h;
    out->rgb.resize(size_t(w) * h * 3);
    for (int y = 0; y < h; ++y) {
      std::memcpy(out->rgb.data() + size_t(y) * w * 3, scratch_.data() + y * stride, size_t(w) * 3);
    }
  } else {
    RotateRgbStrided(scratch_.data(), stride, w, h, rotation_degrees, &out->rgb, &out->width,
                     &out->height);
  }
  return absl::OkStatus();
}

}  // namespace video
