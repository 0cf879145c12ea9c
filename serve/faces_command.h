// `deepfake faces`: finds and tracks the faces of a video with the model's preprocessing and
// writes what the model would see: the crops as PNGs and faces.json (tracks, frame indices,
// timestamps, boxes, landmarks, detector scores), then prints a summary.
#ifndef SERVE_FACES_COMMAND_H_
#define SERVE_FACES_COMMAND_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace serve {

struct FacesCommandOptions {
  std::string video_path;
  std::string out_dir;
  std::string preset = "default";
  std::string landmark_model;  // "" = the installed model (DLIB_SHAPE_PREDICTOR_68_PATH)
  int frames = 0;              // 0 = the preset's
  double margin = 0;           // 0 = the preset's crop
  int detect_max_side = 640;
  // Which frames: "" = the preset's (jadhav2020: first N, else evenly spaced), "evenly",
  // "first" (the first N consecutive) or "every" (every `every_k`-th frame from the start).
  std::string sampling;
  int every_k = 1;
  bool keyframes = false;     // evenly: the keyframe at or before each time (fast, approximate)
  int upsample = 0;           // 2x upsamplings before detection (finds smaller faces)
  double min_face_size = 40;  // faces smaller than this (box side, frame px) are ignored
  // Live inputs: an FFmpeg input format ("" = probe; "v4l2" for /dev/video0, "lavfi",
  // "mpegts", ...), the bound on waiting for one to open or deliver (0 = forever; regular
  // files never wait) and the cap on frames decoded (0 = the sampling default, 10000), which
  // is what ends an endless source.
  std::string input_format;
  double timeout_seconds = 30;
  int64_t max_decoded_frames = 0;
};

// Runs the command; on success the summary has been printed to stdout. Errors name the
// file and the problem.
absl::Status RunFacesCommand(const FacesCommandOptions& options);

// Reads the faces command's flags (--video_path, --out_dir, --preset, --landmark_model,
// --frames, --margin, --detect_max_side, --sampling, --every_k, --keyframes, --upsample,
// --min_face_size,
// --input_format, --timeout_seconds, --max_decoded_frames) and runs it; returns the process exit
// status (0, or 1 with the error on stderr; 2 for a missing flag).
int FacesMain();

}  // namespace serve

#endif  // SERVE_FACES_COMMAND_H_
