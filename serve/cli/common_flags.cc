// CommonFlags: definitions, checks and application of the shared flags.
#include "serve/cli/common_flags.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "base/thread_pool.h"
#include "nn/build_info.h"

namespace serve::cli {

absl::StatusOr<nn::Device> ParseDevice(const std::string& name, bool cuda_compiled_in,
                                       int gpu_count) {
  if (name == "cpu") return nn::Device::CPU();
  if (name == "auto") {
    return cuda_compiled_in && gpu_count > 0 ? nn::Device::CUDA(0) : nn::Device::CPU();
  }
  if (name == "cuda") {
    if (!cuda_compiled_in) {
      return absl::FailedPreconditionError(
          "--device=cuda: CUDA is not compiled in (build with --config=cuda)");
    }
    if (gpu_count <= 0) return absl::FailedPreconditionError("--device=cuda: no GPU found");
    return nn::Device::CUDA(0);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--device: unknown device '", name, "' (allowed: cpu, cuda, auto)"));
}

void CommonFlags::Define(FlagSet& flags, unsigned which) {
  flags.SetGroup("Common flags");
  if (which & kPresetFlag) {
    flags.String("preset", &preset,
                 absl::StrCat("model preset (", absl::StrJoin(nn::PresetNames(), ", "),
                              "): preprocessing, crop, sampling and model"));
  }
  if (which & kFramesFlag) {
    flags.Int("frames", &frames, "frames to sample per video (0 = the preset's)");
  }
  if (which & kSamplingFlag) {
    std::vector<std::string> preset_samplings;
    for (const nn::ModelPreset& p : nn::Presets()) {
      preset_samplings.push_back(
          absl::StrCat(p.name, ": ", nn::FrameSamplingName(p.faces.sampling)));
    }
    flags.String("sampling", &sampling,
                 absl::StrCat("which frames: evenly (N evenly spaced), first (the first N), every "
                              "(every --every_k-th from the start); \"\" = the preset's (",
                              absl::StrJoin(preset_samplings, ", "), ")"));
    flags.Int("every_k", &every_k, "with --sampling=every, keep every k-th frame");
  }
  if (which & kThreadsFlag) {
    flags.Int("threads", &threads, "CPU threads (0 = every core)");
  }
  if (which & kDeviceFlag) {
    flags.String("device", &device,
                 "where the model runs: cpu, cuda, or auto (CUDA when compiled in and a GPU is "
                 "present, else the CPU)");
  }
  if (which & kFaceDetectorFlag) {
    flags.String("face_detector", &face_detector,
                 "face detector: hog (fast; misses dark, small and turned faces), cnn (dlib's "
                 "MMOD CNN, ~10-50x slower), or auto (HOG, then the CNN on frames where HOG "
                 "finds no face)");
  }
  flags.SetGroup("");
}

absl::StatusOr<CommonFlags::Applied> CommonFlags::Apply(unsigned which) const {
  Applied applied;
  absl::StatusOr<nn::ModelPreset> found = nn::GetPreset((which & kPresetFlag) ? preset : "default");
  if (!found.ok())
    return absl::InvalidArgumentError(absl::StrCat("--preset: ", found.status().message()));
  applied.preset = *std::move(found);
  if (which & kFramesFlag) {
    if (frames < 0) {
      return absl::InvalidArgumentError(absl::StrCat("--frames must be >= 0 (got ", frames, ")"));
    }
    if (frames > 0) applied.preset.preprocessing.frames = frames;
  }
  if (which & kSamplingFlag) {
    if (!sampling.empty()) {
      absl::StatusOr<nn::FrameSampling> parsed = nn::ParseFrameSampling(sampling);
      if (!parsed.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("--sampling: ", parsed.status().message()));
      }
      applied.preset.faces.sampling = *parsed;
    }
    if (every_k < 1) {
      return absl::InvalidArgumentError(absl::StrCat("--every_k must be >= 1 (got ", every_k, ")"));
    }
    applied.every_k = every_k;
  }
  if (which & kDeviceFlag) {
    ASSIGN_OR_RETURN(nn::Device parsed,
                     ParseDevice(device, nn::CudaCompiledIn(), nn::CudaDeviceCount()));
    applied.device = parsed;
  }
  if (which & kFaceDetectorFlag) {
    absl::StatusOr<video::FaceDetectorKind> kind = video::ParseFaceDetectorKind(face_detector);
    if (!kind.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--face_detector: ", kind.status().message()));
    }
    applied.face_detector = *kind;
  }
  if (which & kThreadsFlag) {
    if (threads < 0) {
      return absl::InvalidArgumentError(absl::StrCat("--threads must be >= 0 (got ", threads, ")"));
    }
    if (threads > 0) base::SetNumThreads(threads);
  }
  return applied;
}

}  // namespace serve::cli
