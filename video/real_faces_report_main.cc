// real_faces_report: runs the face pipeline over every video in a directory (default
// ../shared/data/real_faces) and prints, per clip, the face detection rate over the sampled
// frames and the number of tracks; exits 1 when a clip misses the bar (>= 95%, one track).
//   bazel run //video:real_faces_report -- --dir=/path/to/clips [--preset=default]
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "nn/models/presets.h"
#include "video/real_faces_report.h"

ABSL_FLAG(std::string, dir, "../shared/data/real_faces", "directory of clips (*.mp4, ...)");
ABSL_FLAG(std::string, preset, "default", "model preset whose preprocessing to use");
ABSL_FLAG(std::string, landmark_model, "", "shape_predictor_68_face_landmarks.dat path");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::string dir = absl::GetFlag(FLAGS_dir);
  // `bazel run` starts in the runfiles tree; resolve relative paths against the workspace.
  if (const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
      workspace != nullptr && std::filesystem::path(dir).is_relative()) {
    dir = (std::filesystem::path(workspace) / dir).string();
  }
  absl::StatusOr<nn::ModelPreset> preset = nn::GetPreset(absl::GetFlag(FLAGS_preset));
  if (!preset.ok()) {
    std::fprintf(stderr, "%s\n", std::string(preset.status().message()).c_str());
    return 2;
  }
  video::PreprocessOptions options = video::PreprocessOptionsForPreset(*preset);
  options.landmark_model_path = absl::GetFlag(FLAGS_landmark_model);
  std::vector<std::string> clips;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string ext = entry.path().extension().string();
    if (ext == ".mp4" || ext == ".mov" || ext == ".mkv" || ext == ".webm" || ext == ".avi") {
      clips.push_back(entry.path().string());
    }
  }
  if (error || clips.empty()) {
    std::fprintf(stderr, "%s: no video clips found%s%s\n", dir.c_str(), error ? ": " : "",
                 error ? error.message().c_str() : "");
    return 2;
  }
  std::sort(clips.begin(), clips.end());
  std::printf("%-48s %8s %7s %6s  %s\n", "clip", "detected", "rate", "tracks", "result");
  int failures = 0;
  for (const std::string& clip : clips) {
    const video::ClipFaceReport r = video::EvaluateClip(clip, preset->preprocessing, options);
    const std::string name = std::filesystem::path(clip).filename().string();
    if (!r.error.ok()) {
      ++failures;
      std::printf("%-48s ERROR %s\n", name.c_str(), std::string(r.error.message()).c_str());
      continue;
    }
    failures += !r.Passes();
    std::printf("%-48s %4d/%-3d %6.1f%% %6d  %s\n", name.c_str(), r.frames_with_face,
                r.sampled_frames, 100 * r.detection_rate(), r.tracks, r.Passes() ? "ok" : "FAIL");
  }
  std::printf("%zu clips, %d below the bar (>= 95%% of sampled frames with a face, 1 track)\n",
              clips.size(), failures);
  return failures == 0 ? 0 : 1;
}
