// `deepfake faces`: finds and tracks the faces of a video with the model's preprocessing and
// writes what the model would see: the crops as PNGs and faces.json (tracks, frame indices,
// timestamps, boxes, landmarks, detector scores), then prints a summary.
#ifndef SERVE_FACES_COMMAND_H_
#define SERVE_FACES_COMMAND_H_

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "serve/cli/command.h"
#include "serve/cli/common_flags.h"

namespace serve {

// The common flags `faces` takes: --preset, --frames, --sampling/--every_k, --threads,
// --face_detector.
inline constexpr unsigned kFacesCommonFlags = cli::kPresetFlag | cli::kFramesFlag |
                                              cli::kSamplingFlag | cli::kThreadsFlag |
                                              cli::kFaceDetectorFlag;

struct FacesCommandOptions {
  std::string video_path;  // a file (resolved like every path), or with input_format a
                           // device, lavfi graph, ... (as given)
  std::string out_dir;
  std::string landmark_model;  // "" = the installed model (DLIB_SHAPE_PREDICTOR_68_PATH)
  double margin = 0;           // 0 = the preset's crop
  int detect_max_side = 640;
  bool keyframes = false;     // evenly: the keyframe at or before each time (fast, approximate)
  int upsample = 0;           // 2x upsamplings before detection (finds smaller faces)
  double min_face_size = 32;  // faces smaller than this (box side, frame px) are ignored
  // Live inputs: an FFmpeg input format ("" = probe; "v4l2" for /dev/video0, "lavfi",
  // "mpegts", ...), the bound on waiting for one to open or deliver (0 = forever; regular
  // files never wait) and the cap on frames decoded (0 = the sampling default, 10000), which
  // is what ends an endless source.
  std::string input_format;
  double timeout_seconds = 30;
  int64_t max_decoded_frames = 0;
};

// Usage errors in the options (InvalidArgument naming the flag): missing --video_path or
// --out_dir, negative sizes or timeouts, --upsample outside 0-3.
absl::Status CheckFacesOptions(const FacesCommandOptions& options);

// Runs the command with `common` (CommonFlags::Apply of kFacesCommonFlags): preprocesses the
// video, writes the PNGs and faces.json, prints the summary to `out`. Errors name the file
// and the problem.
absl::Status RunFacesCommand(const FacesCommandOptions& options,
                             const cli::CommonFlags::Applied& common, std::ostream& out);

// The command for the registry: its flags, checks (exit 2) and run (exit 1 on failure).
std::unique_ptr<cli::Command> MakeFacesCommand();

}  // namespace serve

#endif  // SERVE_FACES_COMMAND_H_
