// real_faces_report: runs the face pipeline over every video in a directory (default
// ../shared/data/real_faces) and prints, per clip and in total, the share of sampled frames
// with a face, the number of tracks, which detector found the faces (HOG frames / CNN
// frames, the CNN's scale) and the time; exits 1 when a clip misses the bar (>= 15 of 16
// frames, one track) unless --no_bar (corpora with several people per clip).
//   bazel run //video:real_faces_report -- --dir=/path/to/clips [--face_detector=auto]
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
ABSL_FLAG(std::string, face_detector, "auto", "hog, cnn or auto (HOG, the CNN where it fails)");
ABSL_FLAG(bool, no_bar, false, "exit 0 even when clips miss the single-person bar");

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
  absl::StatusOr<video::FaceDetectorKind> kind =
      video::ParseFaceDetectorKind(absl::GetFlag(FLAGS_face_detector));
  if (!kind.ok()) {
    std::fprintf(stderr, "--face_detector: %s\n", std::string(kind.status().message()).c_str());
    return 2;
  }
  video::PreprocessOptions options = video::PreprocessOptionsForPreset(*preset);
  options.landmark_model_path = absl::GetFlag(FLAGS_landmark_model);
  options.detector.kind = *kind;
  const absl::StatusOr<std::vector<std::string>> clips = base::ListVideoFiles(dir);
  if (!clips.ok() || clips->empty()) {
    std::fprintf(stderr, "%s\n",
                 clips.ok() ? (dir + ": no video clips found").c_str()
                            : std::string(clips.status().message()).c_str());
    return 2;
  }
  std::printf("%s\n", video::ReportHeader().c_str());
  std::vector<video::ClipFaceReport> reports;
  for (const std::string& clip : *clips) {
    reports.push_back(video::EvaluateClip(clip, preset->preprocessing, options));
    std::string name = std::filesystem::relative(clip, dir).string();
    if (name.size() > 44) name = "..." + name.substr(name.size() - 41);
    std::printf("%s\n", video::ReportLine(reports.back(), name).c_str());
    std::fflush(stdout);
  }
  std::printf("%s\n", video::ReportTotal(reports).c_str());
  int failures = 0;
  for (const video::ClipFaceReport& r : reports) failures += !r.error.ok() || !r.Passes();
  return failures == 0 || absl::GetFlag(FLAGS_no_bar) ? 0 : 1;
}
