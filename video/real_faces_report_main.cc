// real_faces_report: runs the face pipeline over every video in a directory (default
// ../shared/data/real_faces) and prints, per clip, the face detection rate over the sampled
// frames and the number of tracks; exits 1 when a clip misses the bar (>= 95%, one track).
//   bazel run //video:real_faces_report -- --dir=/path/to/clips [--preset=default]
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "base/video_files.h"
#include "nn/models/presets.h"
#include "video/real_faces_report.h"

ABSL_FLAG(std::string, dir, "../shared/data/real_faces",
          "directory of clips (base/video_files.h: *.mp4, *.mov, ..., searched recursively)");
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
  const absl::StatusOr<std::vector<std::string>> clips = base::ListVideoFiles(dir);
  if (!clips.ok() || clips->empty()) {
    std::fprintf(stderr, "%s\n",
                 clips.ok() ? (dir + ": no video clips found").c_str()
                            : std::string(clips.status().message()).c_str());
    return 2;
  }
  std::printf("%-48s %8s %7s %6s  %s\n", "clip", "detected", "rate", "tracks", "result");
  int failures = 0;
  for (const std::string& clip : *clips) {
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
              clips->size(), failures);
  return failures == 0 ? 0 : 1;
}
