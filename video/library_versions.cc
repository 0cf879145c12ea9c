// Library version reporting for FFmpeg and dlib.
#include "video/library_versions.h"

#include <dlib/revision.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libswscale/swscale.h>
}

namespace video {

std::string FfmpegVersion() { return av_version_info(); }

bool FfmpegHeadersMatchLibraries() {
  // AV_VERSION_INT packs major << 16.
  return (avutil_version() >> 16) == LIBAVUTIL_VERSION_MAJOR &&
         (avcodec_version() >> 16) == LIBAVCODEC_VERSION_MAJOR &&
         (avformat_version() >> 16) == LIBAVFORMAT_VERSION_MAJOR &&
         (avdevice_version() >> 16) == LIBAVDEVICE_VERSION_MAJOR &&
         (swscale_version() >> 16) == LIBSWSCALE_VERSION_MAJOR;
}

std::string DlibVersion() {
  return std::to_string(DLIB_MAJOR_VERSION) + "." + std::to_string(DLIB_MINOR_VERSION) + "." +
         std::to_string(DLIB_PATCH_VERSION);
}

std::string DefaultLandmarkModelPath() { return DLIB_SHAPE_PREDICTOR_68_PATH; }

}  // namespace video
