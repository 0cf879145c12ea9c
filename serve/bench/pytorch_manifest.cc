#include "serve/bench/pytorch_manifest.h"

#include <cstdio>
#include <fstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "video/align.h"

namespace serve::bench {

absl::StatusOr<nlohmann::json> ManifestEntry(const video::PreprocessedVideo& video,
                                             const std::string& crops_path) {
  if (video.crop_mode != video::CropMode::kAligned) {
    return absl::UnimplementedError(
        absl::StrCat(video.path, ": the PyTorch pipeline only replays aligned crops"));
  }
  nlohmann::json entry;
  entry["path"] = video.path;
  entry["width"] = video.width;
  entry["height"] = video.height;
  std::vector<int64_t> indices;
  std::vector<double> timestamps;
  for (const video::SampledFrameInfo& frame : video.frames) {
    indices.push_back(frame.index);
    timestamps.push_back(frame.timestamp_seconds);
  }
  entry["frame_indices"] = indices;
  entry["timestamps"] = timestamps;
  const int size = video.preprocessing.image_size;
  std::ofstream crops(crops_path, std::ios::binary | std::ios::trunc);
  if (!crops) return absl::InternalError(absl::StrCat(crops_path, ": cannot write"));
  nlohmann::json tracks = nlohmann::json::array();
  for (const video::PreprocessedTrack& track : video.tracks) {
    nlohmann::json transforms = nlohmann::json::array();
    for (const video::TrackedFace& face : track.track.faces) {
      const video::CropTransform m =
          video::AlignedCropTransform(face.landmarks, video.margin, size);
      transforms.push_back({m.a, m.b, m.c, m.d, m.e, m.f});
    }
    tracks.push_back({{"transforms", transforms}});
    for (int64_t t = 0; t < track.faces.dim(0); ++t) {
      const std::vector<uint8_t> rgb = video::TensorFrameToRgb(track.faces, t, video.preprocessing);
      crops.write(reinterpret_cast<const char*>(rgb.data()), static_cast<std::streamsize>(rgb.size()));
    }
  }
  if (!crops.flush()) return absl::InternalError(absl::StrCat(crops_path, ": write failed"));
  entry["tracks"] = tracks;
  entry["crops_file"] = crops_path;
  const video::StageTimes& times = video.times;
  entry["faces_ms"] = times.detector_cpu_ms + times.landmarks_cpu_ms + times.track_ms;
  entry["decode_ms"] = times.decode_ms;
  entry["crop_ms"] = times.crop_ms;
  return entry;
}

nlohmann::json ManifestPreprocessing(const video::PreprocessedVideo& video) {
  const nn::Preprocessing& p = video.preprocessing;
  return {{"frames", p.frames},
          {"image_size", p.image_size},
          {"mean", {p.mean[0], p.mean[1], p.mean[2]}},
          {"std", {p.std[0], p.std[1], p.std[2]}},
          {"channel_order", p.channel_order == nn::ChannelOrder::kRgb ? "rgb" : "bgr"},
          {"crop_mode", video::CropModeName(video.crop_mode)},
          {"margin", video.margin}};
}

absl::StatusOr<nlohmann::json> PytorchManifest(const std::vector<std::string>& clips,
                                               const nn::ModelPreset& preset,
                                               const std::string& landmark_model_path,
                                               const std::string& work_dir) {
  video::PreprocessOptions serial = video::PreprocessOptionsForPreset(preset);
  serial.landmark_model_path = landmark_model_path;
  serial.parallel = false;
  nlohmann::json manifest;
  manifest["preset"] = preset.name;
  nlohmann::json videos = nlohmann::json::array();
  // Untimed first run: loads dlib's landmark model, which must not count as face finding.
  if (!clips.empty()) (void)video::PreprocessVideo(clips.front(), preset.preprocessing, serial);
  for (size_t i = 0; i < clips.size(); ++i) {
    absl::StatusOr<video::PreprocessedVideo> video =
        video::PreprocessVideo(clips[i], preset.preprocessing, serial);
    if (!video.ok()) {
      std::fprintf(stderr, "  (left out of the PyTorch manifest) %s\n",
                   video.status().ToString().c_str());
      continue;
    }
    if (videos.empty()) manifest["preprocessing"] = ManifestPreprocessing(*video);
    absl::StatusOr<nlohmann::json> entry =
        ManifestEntry(*video, absl::StrCat(work_dir, "/crops_", i, ".u8"));
    if (!entry.ok()) return entry.status();
    videos.push_back(*std::move(entry));
  }
  manifest["videos"] = videos;
  return manifest;
}

}  // namespace serve::bench
