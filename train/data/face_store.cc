// FaceStore: every video through video::FaceCache once, its tracks kept as packed RGB
// crops with landmarks mapped into crop pixels.
#include "train/data/face_store.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "nn/check.h"
#include "video/align.h"
#include "video/face_cache.h"

namespace train::data {
namespace {

namespace fs = std::filesystem;

// Fails unless a file can be created in `dir` (created when missing): the one error that
// stops the build, since every video would fail alike.
absl::Status CheckWritable(const std::string& dir) {
  if (dir.empty()) return absl::InvalidArgumentError("FaceStore: no face cache directory given");
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat(dir, ": cannot create the face cache directory: ", error.message()));
  }
  const fs::path probe = fs::path(dir) / ".write_probe";
  {
    std::ofstream out(probe);
    out << "probe";
    if (!out) {
      return absl::PermissionDeniedError(
          absl::StrCat(dir, ": the face cache directory is not writable"));
    }
  }
  fs::remove(probe, error);
  return absl::OkStatus();
}

// Maps frame landmarks (dlib pixel indices, centres at integers) into the crop's pixel
// indices (centres at integers), the convention of train/synth.
std::vector<std::array<float, 2>> LandmarksInCrop(const video::TrackedFace& face,
                                                  const video::PreprocessedVideo& video) {
  const int size = video.preprocessing.image_size;
  std::vector<std::array<float, 2>> out(video::FaceLandmarks::kNumPoints);
  video::CropTransform m;
  if (video.crop_mode == video::CropMode::kAligned) {
    m = video::AlignedCropTransform(face.landmarks, video.margin, size);
  } else {
    // video::ExactBoxCrop: the box rounded and clipped to the frame, stretched to the crop.
    const double left = std::max(0.0, std::round(face.box.left));
    const double top = std::max(0.0, std::round(face.box.top));
    const double right = std::min<double>(video.width, std::round(face.box.right));
    const double bottom = std::min<double>(video.height, std::round(face.box.bottom));
    m.a = std::max(right - left, 1.0) / size;
    m.b = 0;
    m.c = left;
    m.d = 0;
    m.e = std::max(bottom - top, 1.0) / size;
    m.f = top;
  }
  // Frame continuous x = a*u + b*v + c with u = crop index + 0.5; frame x = index + 0.5.
  const double det = m.a * m.e - m.b * m.d;
  for (int i = 0; i < video::FaceLandmarks::kNumPoints; ++i) {
    const double x = face.landmarks.points[i].x + 0.5 - m.c;
    const double y = face.landmarks.points[i].y + 0.5 - m.f;
    const double u = (m.e * x - m.b * y) / det;
    const double v = (-m.d * x + m.a * y) / det;
    out[i] = {static_cast<float>(u - 0.5), static_cast<float>(v - 0.5)};
  }
  return out;
}

}  // namespace

absl::StatusOr<FaceStore> FaceStore::Build(const std::vector<VideoItem>& items,
                                           const nn::ModelPreset& preset,
                                           const FaceStoreOptions& options,
                                           const FaceStoreProgress& progress) {
  if (absl::Status status = CheckWritable(options.cache_dir); !status.ok()) return status;
  if (options.frames_per_video < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("frames per video must be >= 0, got ", options.frames_per_video));
  }
  nn::Preprocessing preprocessing = preset.preprocessing;
  if (options.frames_per_video > 0) preprocessing.frames = options.frames_per_video;
  const video::PreprocessOptions preprocess_options = video::PreprocessOptionsForPreset(preset);
  video::FaceCache cache(options.cache_dir);

  FaceStore store;
  store.videos_ = items;
  const int total = static_cast<int>(items.size());
  for (int v = 0; v < total; ++v) {
    const VideoItem& item = items[v];
    std::string error;
    absl::StatusOr<video::PreprocessedVideo> video =
        cache.Get(item.path, preprocessing, preprocess_options);
    if (!video.ok()) {
      error = std::string(video.status().message());
    } else {
      const int frames = static_cast<int>(video->frames.size());
      const int size = video->preprocessing.image_size;
      int best_detections = 0;
      const size_t tracks_before = store.tracks_.size();
      for (const video::PreprocessedTrack& track : video->tracks) {
        best_detections = std::max(best_detections, track.track.num_detections);
        if (track.track.num_detections < options.min_detected_fraction * frames) continue;
        StoredTrack stored;
        stored.video = v;
        stored.track_id = track.track.id;
        stored.frames = frames;
        stored.size = size;
        stored.rgb.reserve(static_cast<size_t>(frames) * size * size * 3);
        for (int f = 0; f < frames; ++f) {
          const std::vector<uint8_t> rgb =
              video::TensorFrameToRgb(track.faces, f, video->preprocessing);
          stored.rgb.insert(stored.rgb.end(), rgb.begin(), rgb.end());
          stored.landmarks.push_back(LandmarksInCrop(track.track.faces[f], *video));
        }
        store.tracks_.push_back(std::move(stored));
      }
      if (store.tracks_.size() == tracks_before) {
        error = absl::StrCat(item.path, ": no face track detected in at least ",
                             options.min_detected_fraction * 100, "% of the ", frames,
                             " sampled frames (best: ", best_detections, ")");
      }
    }
    if (!error.empty()) store.skipped_.push_back({item.path, item.label, error});
    if (progress) progress(v + 1, total, item.path, error);
  }
  return store;
}

FaceStore FaceStore::FromTracks(std::vector<VideoItem> videos, std::vector<StoredTrack> tracks,
                                std::vector<SkippedVideo> skipped) {
  for (const StoredTrack& track : tracks) {
    NN_CHECK(track.video >= 0 && track.video < static_cast<int>(videos.size()))
        << "track of video " << track.video << " of " << videos.size();
    NN_CHECK_EQ(track.rgb.size(), static_cast<size_t>(track.frames) * track.size * track.size * 3);
    NN_CHECK_EQ(track.landmarks.size(), static_cast<size_t>(track.frames));
  }
  FaceStore store;
  store.videos_ = std::move(videos);
  store.tracks_ = std::move(tracks);
  store.skipped_ = std::move(skipped);
  return store;
}

int FaceStore::UsableVideos(int label) const {
  std::vector<bool> usable(videos_.size(), false);
  for (const StoredTrack& track : tracks_) usable[track.video] = true;
  int count = 0;
  for (size_t v = 0; v < videos_.size(); ++v) count += usable[v] && videos_[v].label == label;
  return count;
}

nlohmann::json FaceStore::ToJson() const {
  nlohmann::json skipped = nlohmann::json::array();
  for (const SkippedVideo& s : skipped_) {
    skipped.push_back(
        {{"path", s.path}, {"label", s.label == 0 ? "real" : "fake"}, {"reason", s.reason}});
  }
  return {{"videos", videos_.size()},
          {"usable", {{"real", UsableVideos(0)}, {"fake", UsableVideos(1)}}},
          {"tracks", tracks_.size()},
          {"skipped", skipped}};
}

}  // namespace train::data
