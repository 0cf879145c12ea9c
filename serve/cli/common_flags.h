// The flags several commands share (preset, frames, sampling, threads, device, face
// detector), defined,
// checked and applied in one place. A command opts into the ones it uses; the others do not
// exist for it.
#ifndef SERVE_CLI_COMMON_FLAGS_H_
#define SERVE_CLI_COMMON_FLAGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "nn/models/presets.h"
#include "nn/tensor.h"
#include "serve/cli/flags.h"
#include "video/face_detector.h"

namespace serve::cli {

// Which common flags a command takes (bitwise or).
enum CommonFlag : unsigned {
  kPresetFlag = 1u << 0,    // --preset
  kFramesFlag = 1u << 1,    // --frames
  kSamplingFlag = 1u << 2,  // --sampling, --every_k
  kThreadsFlag = 1u << 3,   // --threads
  kDeviceFlag = 1u << 4,    // --device
  kFaceDetectorFlag = 1u << 5,  // --face_detector (hog, cnn, auto)
};

// "cpu", "cuda" or "auto": auto is CUDA when it is compiled in and `gpu_count` > 0, else
// the CPU; "cuda" without a usable GPU is an error saying why.
absl::StatusOr<nn::Device> ParseDevice(const std::string& name, bool cuda_compiled_in,
                                       int gpu_count);

struct CommonFlags {
  std::string preset = "default";
  int frames = 0;        // 0 = the preset's
  std::string sampling;  // "" = the preset's
  int every_k = 1;       // with sampling "every"
  int threads = 0;       // 0 = the pool's default (every core)
  std::string device = "auto";
  std::string face_detector = "auto";

  // What the flags resolve to.
  struct Applied {
    nn::ModelPreset preset;  // with --frames and --sampling applied (preprocessing, faces)
    int every_k = 1;
    nn::Device device = nn::Device::CPU();
    // For video::PreprocessOptions::detector.kind (kAuto unless --face_detector says).
    video::FaceDetectorKind face_detector = video::FaceDetectorKind::kAuto;
  };

  // Defines the flags in `which` under the group "Common flags", bound to this struct.
  void Define(FlagSet& flags, unsigned which);
  // Checks the values of the flags in `which` (InvalidArgument naming the flag, e.g.
  // "--preset: unknown model preset 'x'; known presets: ..."), applies --threads to the CPU
  // thread pool, and returns the preset, sampling and device to use.
  absl::StatusOr<Applied> Apply(unsigned which) const;
};

}  // namespace serve::cli

#endif  // SERVE_CLI_COMMON_FLAGS_H_
