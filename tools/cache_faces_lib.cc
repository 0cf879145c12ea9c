// Fills the face cache for a list of videos: listing, the per-video loop, summary, report.
#include "tools/cache_faces_lib.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "nn/models/presets.h"
#include "train/data/manifest.h"
#include "video/library_versions.h"

namespace tools {
namespace {

namespace fs = std::filesystem;

// The reason part of "PATH: reason" (the whole message when it does not start with PATH).
std::string Reason(const VideoResult& result) {
  const std::string prefix = result.path + ": ";
  if (absl::StartsWith(result.error, prefix)) return result.error.substr(prefix.size());
  return result.error;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ListDatasetVideos(const std::string& dataset_dir) {
  ASSIGN_OR_RETURN(train::data::Manifest manifest,
                   train::data::ReadManifest((fs::path(dataset_dir) / "manifest.json").string()));
  std::vector<std::string> videos;
  videos.reserve(manifest.entries.size());
  for (const train::data::ManifestEntry& entry : manifest.entries) {
    videos.push_back((fs::path(dataset_dir) / entry.file).string());
  }
  return videos;
}

const char* OutcomeName(video::CacheOutcome outcome) {
  switch (outcome) {
    case video::CacheOutcome::kHit:
      return "hit";
    case video::CacheOutcome::kMiss:
      return "miss";
    case video::CacheOutcome::kRecomputed:
      return "recomputed";
  }
  return "unknown";
}

absl::StatusOr<CacheRunSummary> CacheFaces(const std::vector<std::string>& videos,
                                           const CacheFacesOptions& options,
                                           const CacheProgress& progress) {
  absl::StatusOr<nn::ModelPreset> preset = nn::GetPreset(options.preset);
  if (!preset.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown preset '", options.preset,
                     "' (presets: ", absl::StrJoin(nn::PresetNames(), ", "), ")"));
  }
  video::PreprocessOptions preprocess = video::PreprocessOptionsForPreset(*preset);
  preprocess.landmark_model_path =
      options.landmark_model.empty() ? video::DefaultLandmarkModelPath() : options.landmark_model;
  std::error_code error;
  if (!fs::is_regular_file(preprocess.landmark_model_path, error)) {
    return absl::NotFoundError(
        absl::StrCat(preprocess.landmark_model_path, ": landmark model not found"));
  }
  if (options.cache_dir.empty()) return absl::InvalidArgumentError("no cache folder given");
  fs::create_directories(options.cache_dir, error);
  if (error || !fs::is_directory(options.cache_dir)) {
    return absl::PermissionDeniedError(
        absl::StrCat(options.cache_dir, ": cannot create the cache folder: ", error.message()));
  }

  CacheRunSummary summary;
  summary.preset = preset->name;
  summary.preprocessing_key = video::PreprocessingKey(preset->preprocessing, preprocess);
  summary.cache_dir = options.cache_dir;
  video::FaceCache cache(options.cache_dir);
  using Clock = std::chrono::steady_clock;
  const Clock::time_point run_start = Clock::now();
  const int total = static_cast<int>(videos.size());
  for (int i = 0; i < total; ++i) {
    VideoResult result;
    result.path = videos[i];
    const Clock::time_point start = Clock::now();
    video::CacheOutcome outcome = video::CacheOutcome::kMiss;
    absl::StatusOr<video::PreprocessedVideo> processed =
        cache.Get(videos[i], preset->preprocessing, preprocess, &outcome);
    result.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (processed.ok()) {
      result.ok = true;
      result.outcome = outcome;
      result.tracks = static_cast<int>(processed->tracks.size());
      result.frames = static_cast<int>(processed->frames.size());
      switch (outcome) {
        case video::CacheOutcome::kHit:
          ++summary.hits;
          break;
        case video::CacheOutcome::kMiss:
          ++summary.misses;
          break;
        case video::CacheOutcome::kRecomputed:
          ++summary.recomputed;
          break;
      }
    } else {
      result.error = std::string(processed.status().message());
      if (result.error.empty()) result.error = processed.status().ToString();
      ++summary.failed;
    }
    summary.videos.push_back(result);
    if (progress) progress(i + 1, total, result, processed.ok() ? &*processed : nullptr);
  }
  summary.total_ms = std::chrono::duration<double, std::milli>(Clock::now() - run_start).count();

  fs::recursive_directory_iterator it(options.cache_dir,
                                      fs::directory_options::skip_permission_denied, error);
  for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    std::error_code entry_error;
    if (it->is_regular_file(entry_error) && it->path().extension() == ".safetensors") {
      const uintmax_t size = it->file_size(entry_error);
      if (entry_error) continue;
      ++summary.cache_entries;
      summary.cache_bytes += size;
    }
  }
  return summary;
}

std::string FormatProgressLine(int index, int total, const VideoResult& result) {
  if (!result.ok)
    return absl::StrFormat("[%d/%d] %s: error: %s", index, total, result.path, result.error);
  return absl::StrFormat("[%d/%d] %s: %s, %d tracks, %.0f ms", index, total, result.path,
                         OutcomeName(result.outcome), result.tracks, result.ms);
}

std::string FormatSummary(const CacheRunSummary& summary) {
  const int n = static_cast<int>(summary.videos.size());
  std::string out = absl::StrFormat(
      "%d videos: %d hit, %d miss, %d recomputed, %d failed\n"
      "time: %.2f s, %.2f videos/s\n"
      "cache: %s, %d entries, %.1f MiB\n",
      n, summary.hits, summary.misses, summary.recomputed, summary.failed,
      summary.total_ms / 1000.0, summary.total_ms > 0 ? n / (summary.total_ms / 1000.0) : 0.0,
      summary.cache_dir, summary.cache_entries, summary.cache_bytes / (1024.0 * 1024.0));
  if (summary.failed == 0) return out;
  // Failures grouped by reason, in order of first appearance.
  std::vector<std::pair<std::string, std::vector<const VideoResult*>>> groups;
  std::map<std::string, size_t> group_of;
  for (const VideoResult& result : summary.videos) {
    if (result.ok) continue;
    const std::string reason = Reason(result);
    auto [it, added] = group_of.emplace(reason, groups.size());
    if (added) groups.push_back({reason, {}});
    groups[it->second].second.push_back(&result);
  }
  absl::StrAppendFormat(&out, "failed (%d):\n", summary.failed);
  for (const auto& [reason, results] : groups) {
    absl::StrAppendFormat(&out, "  %s (%d):\n", reason, static_cast<int>(results.size()));
    for (const VideoResult* result : results) {
      absl::StrAppendFormat(&out, "    %s\n", result->path);
    }
  }
  return out;
}

nlohmann::json ReportToJson(const CacheRunSummary& summary) {
  nlohmann::json videos = nlohmann::json::array();
  for (const VideoResult& result : summary.videos) {
    videos.push_back({
        {"path", result.path},
        {"outcome", result.ok ? OutcomeName(result.outcome) : "failed"},
        {"tracks", result.tracks},
        {"frames", result.frames},
        {"ms", result.ms},
        {"error", result.ok ? nlohmann::json(nullptr) : nlohmann::json(result.error)},
    });
  }
  return {
      {"preset", summary.preset},
      {"preprocessing_key", summary.preprocessing_key},
      {"cache_dir", summary.cache_dir},
      {"hits", summary.hits},
      {"misses", summary.misses},
      {"recomputed", summary.recomputed},
      {"failed", summary.failed},
      {"total_ms", summary.total_ms},
      {"cache_entries", summary.cache_entries},
      {"cache_bytes", summary.cache_bytes},
      {"videos", videos},
  };
}

absl::Status WriteReport(const CacheRunSummary& summary, const std::string& path) {
  const std::string text = ReportToJson(summary).dump(2) + "\n";
  const std::string temporary = path + ".tmp";
  std::error_code error;
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent, error);
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) {
      return absl::PermissionDeniedError(
          absl::StrCat(temporary, ": cannot write the report: ", std::strerror(errno)));
    }
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) {
      out.close();
      fs::remove(temporary, error);
      return absl::DataLossError(absl::StrCat(temporary, ": write failed"));
    }
  }
  fs::rename(temporary, path, error);
  if (error) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": cannot write the report: ", error.message()));
  }
  return absl::OkStatus();
}

}  // namespace tools
