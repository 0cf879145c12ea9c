// Composes the version report from nn/ and video/.
#include "serve/version.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "nn/build_info.h"
#include "video/library_versions.h"

namespace serve {

std::string VersionReport() {
  const std::string model = video::DefaultLandmarkModelPath();
  const bool model_present = std::ifstream(model).good();
  return absl::StrCat(
      "deepfake ", kProjectVersion, "\n",  //
      "FFmpeg: ", video::FfmpegVersion(),
      video::FfmpegHeadersMatchLibraries() ? "" : " (WARNING: headers and libraries differ)",
      "\n",  //
      "dlib: ", video::DlibVersion(), " (landmark model: ", model,
      model_present ? "" : ", MISSING: install libdlib-data", ")\n",  //
      "Eigen: ", nn::EigenVersion(), "\n",                            //
      "CUDA: ", nn::CudaDescription(), "\n");
}

}  // namespace serve
