// bazel run //tools:cache_faces -- --cache_dir=C (--dataset=DIR | --videos=DIR): preprocesses
// every video of a dataset (DIR/manifest.json) or a folder (recursively) into the face cache,
// one progress line per video, a summary and a JSON report. Exit code: 0 all preprocessed,
// 1 some failed (after trying all), 2 bad usage.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/video_files.h"
#include "nn/models/presets.h"
#include "serve/cli/flags.h"
#include "tools/cache_faces_lib.h"

ABSL_FLAG(std::string, cache_dir, "", "the face cache folder (created when missing)");
ABSL_FLAG(std::string, dataset, "", "a dataset folder with manifest.json (//tools:synth)");
ABSL_FLAG(std::string, videos, "", "a folder of videos, searched recursively");
ABSL_FLAG(std::string, preset, "default", "model preset whose preprocessing is cached");
ABSL_FLAG(std::string, landmark_model, "",
          "shape_predictor_68_face_landmarks.dat (default: the libdlib-data install)");
ABSL_FLAG(std::string, report, "", "JSON report (default: CACHE_DIR/cache_report.json)");

namespace {

constexpr char kUsage[] =
    "usage: cache_faces --cache_dir=DIR (--dataset=DIR | --videos=DIR) [--preset=default] "
    "[--landmark_model=PATH] [--report=FILE]";

// Relative paths are the user's (BUILD_WORKING_DIRECTORY under `bazel run`).
std::string FromWorkingDirectory(const std::string& path) {
  return serve::cli::ResolveUserPath(path);
}

int UsageError(const std::string& message) {
  std::fprintf(stderr, "cache_faces: %s\n%s\n", message.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Preprocesses a dataset's videos into the face cache (video/face_cache.h).\n" +
      std::string(kUsage));
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() > 1) {
    return UsageError(absl::StrCat("unexpected argument '", positional[1], "'"));
  }
  const std::string cache_dir = FromWorkingDirectory(absl::GetFlag(FLAGS_cache_dir));
  const std::string dataset = FromWorkingDirectory(absl::GetFlag(FLAGS_dataset));
  const std::string videos_dir = FromWorkingDirectory(absl::GetFlag(FLAGS_videos));
  std::string report = FromWorkingDirectory(absl::GetFlag(FLAGS_report));
  tools::CacheFacesOptions options;
  options.cache_dir = cache_dir;
  options.preset = absl::GetFlag(FLAGS_preset);
  options.landmark_model = FromWorkingDirectory(absl::GetFlag(FLAGS_landmark_model));
  if (cache_dir.empty()) return UsageError("--cache_dir is required");
  if (dataset.empty() == videos_dir.empty()) {
    return UsageError("give exactly one of --dataset and --videos");
  }
  if (!nn::GetPreset(options.preset).ok()) {
    return UsageError(absl::StrCat("--preset: unknown preset '", options.preset,
                                   "' (presets: ", absl::StrJoin(nn::PresetNames(), ", "), ")"));
  }
  if (report.empty()) report = cache_dir + "/cache_report.json";

  absl::StatusOr<std::vector<std::string>> videos =
      dataset.empty() ? base::ListVideoFiles(videos_dir) : tools::ListDatasetVideos(dataset);
  if (!videos.ok()) {
    return UsageError(
        absl::StrCat(dataset.empty() ? "--videos: " : "--dataset: ", videos.status().message()));
  }
  if (videos->empty()) {
    return UsageError(dataset.empty()
                          ? absl::StrCat("--videos: ", videos_dir, ": no video files")
                          : absl::StrCat("--dataset: ", dataset, "/manifest.json: no videos"));
  }

  absl::StatusOr<tools::CacheRunSummary> summary = tools::CacheFaces(
      *videos, options,
      [](int index, int total, const tools::VideoResult& result, const video::PreprocessedVideo*) {
        std::printf("%s\n", tools::FormatProgressLine(index, total, result).c_str());
        std::fflush(stdout);
      });
  if (!summary.ok()) return UsageError(std::string(summary.status().message()));
  std::printf("%s", tools::FormatSummary(*summary).c_str());
  if (absl::Status written = tools::WriteReport(*summary, report); !written.ok()) {
    std::fprintf(stderr, "cache_faces: %s\n", std::string(written.message()).c_str());
    return 1;
  }
  std::printf("report: %s\n", report.c_str());
  return summary->failed == 0 ? 0 : 1;
}
