// The faces a training run uses, preprocessed once: every video goes through
// video::FaceCache (decoding and face finding happen once per video and parameter set, ever;
// the second epoch reads no video), and its face tracks are kept in memory as packed RGB
// bytes (4x smaller than float) with per-frame landmarks in crop pixels. Videos that cannot
// be used (unreadable, damaged, faceless) are skipped, counted and listed with the reason.
#ifndef TRAIN_DATA_FACE_STORE_H_
#define TRAIN_DATA_FACE_STORE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "nn/models/presets.h"
#include "train/data/dataset.h"
#include "video/preprocess.h"

namespace train::data {

// One stored face track: `frames` crops of size x size packed RGB.
struct StoredTrack {
  int video = 0;     // index into FaceStore::videos()
  int track_id = 0;  // video::FaceTrack::id
  int frames = 0, size = 0;
  std::vector<uint8_t> rgb;                                  // frames * size * size * 3
  std::vector<std::vector<std::array<float, 2>>> landmarks;  // per frame: 68 points, crop px
};

struct SkippedVideo {
  std::string path;
  int label = 0;
  std::string reason;  // the preprocessing error, e.g. "x.mp4: no face found in any of ..."
};

struct FaceStoreOptions {
  std::string cache_dir;  // video::FaceCache directory (e.g. OUT_DIR/../face_cache); required
  // Frames to sample per video: the preset's count, or more (e.g. 2x) for temporal jitter.
  int frames_per_video = 0;  // 0 = the preset's
  // Keep tracks with at least this fraction of detected (not filled) frames.
  double min_detected_fraction = 0.5;
};

// Progress: called after each video with (done, total, path, error or "").
using FaceStoreProgress =
    std::function<void(int done, int total, const std::string& path, const std::string& error)>;

class FaceStore {
 public:
  // Preprocesses (or reads from the cache) every item with the preset's preprocessing and
  // crop. Only a cache that cannot be written is an error; bad videos are skipped.
  static absl::StatusOr<FaceStore> Build(const std::vector<VideoItem>& items,
                                         const nn::ModelPreset& preset,
                                         const FaceStoreOptions& options,
                                         const FaceStoreProgress& progress = nullptr);

  // A store of tracks made elsewhere (tests, tools); tracks[i].video indexes `videos`.
  static FaceStore FromTracks(std::vector<VideoItem> videos, std::vector<StoredTrack> tracks,
                              std::vector<SkippedVideo> skipped = {});

  const std::vector<VideoItem>& videos() const { return videos_; }  // as given
  const std::vector<StoredTrack>& tracks() const { return tracks_; }
  const std::vector<SkippedVideo>& skipped() const { return skipped_; }
  // Videos with at least one track, per label.
  int UsableVideos(int label) const;
  // {"videos": N, "usable": {...}, "tracks": N, "skipped": [{"path","label","reason"}]}
  nlohmann::json ToJson() const;

 private:
  std::vector<VideoItem> videos_;
  std::vector<StoredTrack> tracks_;
  std::vector<SkippedVideo> skipped_;
};

}  // namespace train::data

#endif  // TRAIN_DATA_FACE_STORE_H_
