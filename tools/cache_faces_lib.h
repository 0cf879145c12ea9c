// Fills the face cache (video/face_cache.h) for a folder of videos (listed by
// base/video_files.h) or a dataset manifest, so training epochs read preprocessed faces
// instead of decoding video: the list of videos,
// one FaceCache::Get per video (a bad video is recorded, never fatal), the run's summary
// and its JSON report. //tools:cache_faces is the command-line front end.
#ifndef TOOLS_CACHE_FACES_LIB_H_
#define TOOLS_CACHE_FACES_LIB_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "video/face_cache.h"
#include "video/preprocess.h"

namespace tools {

// The videos of DIR/manifest.json (train/data/manifest.h), in manifest order, each as
// DIR/entry.file. Errors name the manifest.
absl::StatusOr<std::vector<std::string>> ListDatasetVideos(const std::string& dataset_dir);

struct CacheFacesOptions {
  std::string cache_dir;
  std::string preset = "default";  // nn::GetPreset: preprocessing and crop
  std::string landmark_model;      // empty = video::DefaultLandmarkModelPath()
};

struct VideoResult {
  std::string path;
  bool ok = false;
  video::CacheOutcome outcome = video::CacheOutcome::kMiss;  // when ok
  int tracks = 0;
  int frames = 0;     // sampled frames per track
  double ms = 0;      // wall time of this video (hashing, reading or preprocessing, writing)
  std::string error;  // when !ok: the message, which names the file
};

struct CacheRunSummary {
  std::string preset;
  std::string preprocessing_key;  // video::PreprocessingKey of the run
  std::string cache_dir;
  std::vector<VideoResult> videos;  // in input order
  int hits = 0, misses = 0, recomputed = 0, failed = 0;
  double total_ms = 0;
  int cache_entries = 0;     // *.safetensors files in cache_dir after the run
  uint64_t cache_bytes = 0;  // their total size
};

// Called after each video: index from 1, the number of videos, its result, and the
// preprocessed video (nullptr when it failed).
using CacheProgress = std::function<void(int index, int total, const VideoResult& result,
                                         const video::PreprocessedVideo* video)>;

// FaceCache::Get(video, preset.preprocessing, PreprocessOptionsForPreset(preset) with the
// landmark model) for every video, in order. A video that fails is recorded in the summary
// and the run goes on. Errors (nothing processed): unknown preset, missing landmark model,
// a cache folder that cannot be created.
absl::StatusOr<CacheRunSummary> CacheFaces(const std::vector<std::string>& videos,
                                           const CacheFacesOptions& options,
                                           const CacheProgress& progress = nullptr);

const char* OutcomeName(video::CacheOutcome outcome);  // "hit", "miss", "recomputed"

// "[i/N] path: miss, 1 tracks, 812 ms" or "[i/N] path: error: MESSAGE".
std::string FormatProgressLine(int index, int total, const VideoResult& result);
// Counts, time, throughput, cache size, then the failures grouped by reason.
std::string FormatSummary(const CacheRunSummary& summary);

// {"preset", "preprocessing_key", "cache_dir", counts, "total_ms", "videos": [{"path",
// "outcome" ("hit"/"miss"/"recomputed"/"failed"), "tracks", "frames", "ms", "error"}]}.
nlohmann::json ReportToJson(const CacheRunSummary& summary);
// Writes the report to `path` atomically (PATH.tmp, then rename). Errors name the file.
absl::Status WriteReport(const CacheRunSummary& summary, const std::string& path);

}  // namespace tools

#endif  // TOOLS_CACHE_FACES_LIB_H_
