// The face cache: the parameter key, safetensors entries keyed by XXH64 (base/hash.h).
#include "video/face_cache.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/hash.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "nn/io/safetensors.h"
#include "nn/io/safetensors_stream_writer.h"
#include "video/library_versions.h"
#include "video/preprocess_json.h"

namespace video {
namespace {

// Bumped whenever the entries or what the same parameters produce change (2: unknown-
// duration sampling picks the first kept frame at or after each i * D / N; 3: crops stored
// as 8-bit RGB; 4: the detector kind (HOG, CNN, auto) and per-frame detector metadata).
constexpr char kFormat[] = "deepfake-face-cache-6";

std::string Hex(uint64_t value) { return absl::StrFormat("%016x", value); }

// XXH64 over the bytes of every tensor, in track order.
uint64_t TensorChecksum(const PreprocessedVideo& video) {
  base::Xxh64 hash;
  for (const PreprocessedTrack& track : video.tracks) {
    hash.Update(track.faces.raw_data(), track.faces.bytes());
  }
  return hash.Digest();
}

std::string TensorName(int track) { return absl::StrFormat("track_%04d", track); }

}  // namespace

std::string PreprocessingKey(const nn::Preprocessing& preprocessing,
                             const PreprocessOptions& options) {
  const std::string given = options.landmark_model_path.empty() ? DefaultLandmarkModelPath()
                                                                : options.landmark_model_path;
  // The same model file under any path (relative, absolute, through symlinks) is one key.
  std::error_code error;
  std::string model_path = std::filesystem::weakly_canonical(given, error).string();
  if (error) model_path = given;
  const auto model_size = std::filesystem::file_size(model_path, error);
  nlohmann::json key = {
      {"format", kFormat},
      {"dlib", DlibVersion()},
      {"landmark_model", {model_path, error ? 0 : static_cast<uint64_t>(model_size)}},
      {"frames", preprocessing.frames},
      {"image_size", preprocessing.image_size},
      {"mean", preprocessing.mean},
      {"std", preprocessing.std},
      {"channel_order", nn::ChannelOrderName(preprocessing.channel_order)},
      {"crop_mode", CropModeName(options.crop_mode)},
      {"margin", options.margin},
      {"sampling",
       {static_cast<int>(options.sampling.strategy), options.sampling.every_k,
        options.sampling.max_decoded_frames, options.sampling.snap_to_keyframes}},
      {"detector",
       {options.detector.max_detection_side, options.detector.upsample,
        options.detector.score_threshold, FaceDetectorKindName(options.detector.kind),
        options.detector.cnn_model_path, options.detector.cnn_target_pixels,
        options.detector.cnn_min_scale, options.detector.cnn_max_scale,
        options.detector.cnn_score_threshold, options.detector.cnn_roi_fallback,
        options.detector.cnn_roi_margin, options.detector.cnn_roi_face_pixels,
        options.detector.cnn_roi_max_scale, options.detector.cnn_picture_search,
        options.detector.cnn_picture_max_fraction, options.detector.cnn_picture_max_scale}},
      {"tracker",
       {options.tracker.min_iou, options.tracker.max_landmark_distance,
        options.tracker.min_face_size, options.tracker.min_track_detections,
        options.tracker.min_track_fraction, options.tracker.min_relink_similarity,
        options.tracker.max_relink_size_ratio, options.tracker.max_relink_geometry_distance,
        options.tracker.min_relink_similarity_single,
        options.tracker.max_relink_geometry_distance_single, options.tracker.cut_layout_difference,
        options.tracker.max_relink_speed, options.tracker.min_iou_across_cut,
        options.tracker.max_link_gap}},
      {"min_frames", options.min_frames},
  };
  return key.dump();
}

FaceCache::FaceCache(std::string directory) : directory_(std::move(directory)) {}

std::string FaceCache::EntryPath(uint64_t content_hash, const std::string& key) const {
  return (std::filesystem::path(directory_) /
          (Hex(content_hash) + "-" + Hex(base::Xxh64Bytes(key.data(), key.size())) +
           ".safetensors"))
      .string();
}

absl::StatusOr<PreprocessedVideo> FaceCache::Read(const std::string& entry,
                                                  const std::string& key) const {
  nn::io::Metadata metadata;
  ASSIGN_OR_RETURN(nn::io::TensorMap tensors, nn::io::ReadSafetensors(entry, &metadata));
  if (metadata["format"] != kFormat || metadata["key"] != key) {
    return absl::DataLossError(absl::StrCat(entry, ": written for other parameters"));
  }
  nlohmann::json json = nlohmann::json::parse(metadata["video"], nullptr, false);
  if (json.is_discarded()) return absl::DataLossError(absl::StrCat(entry, ": bad metadata"));
  absl::StatusOr<PreprocessedVideo> video = PreprocessedVideoFromJson(json);
  if (!video.ok()) return absl::DataLossError(absl::StrCat(entry, ": ", video.status().message()));
  if (tensors.size() != video->tracks.size()) {
    return absl::DataLossError(absl::StrCat(entry, ": ", tensors.size(), " tensors for ",
                                            video->tracks.size(), " tracks"));
  }
  for (size_t t = 0; t < video->tracks.size(); ++t) {
    auto it = tensors.find(TensorName(static_cast<int>(t)));
    const int64_t size = video->preprocessing.image_size;
    const nn::Shape expected{static_cast<int64_t>(video->frames.size()), size, size, 3};
    if (it == tensors.end() || it->second.shape() != expected ||
        video->tracks[t].track.faces.size() != video->frames.size()) {
      return absl::DataLossError(absl::StrCat(entry, ": track ", t, " does not match"));
    }
    // ReadSafetensors gives the bytes as float32 values 0..255.
    const float* values = it->second.data<float>();
    const size_t crop_bytes = static_cast<size_t>(size * size * 3);
    std::vector<std::vector<uint8_t>> crops(video->frames.size());
    for (size_t f = 0; f < crops.size(); ++f) {
      crops[f].resize(crop_bytes);
      for (size_t i = 0; i < crop_bytes; ++i) {
        crops[f][i] = static_cast<uint8_t>(values[f * crop_bytes + i]);
      }
    }
    absl::StatusOr<nn::Tensor> faces = CropsToTensor(crops, video->preprocessing);
    if (!faces.ok())
      return absl::DataLossError(absl::StrCat(entry, ": ", faces.status().message()));
    video->tracks[t].faces = *std::move(faces);
  }
  if (metadata["tensor_xxh64"] != Hex(TensorChecksum(*video))) {
    return absl::DataLossError(absl::StrCat(entry, ": tensor checksum mismatch"));
  }
  return video;
}

absl::Status FaceCache::Write(const std::string& entry, const std::string& key,
                              uint64_t content_hash, const PreprocessedVideo& video) const {
  // Crops are stored as the bytes they were made of ([T, H, W, 3] RGB, a quarter of the
  // float32 tensor); Read() normalizes them again with the same function, bit for bit.
  std::vector<nn::io::SafetensorsStreamWriter::TensorSpec> specs;
  std::vector<std::vector<uint8_t>> bytes;
  for (size_t t = 0; t < video.tracks.size(); ++t) {
    const nn::Tensor& faces = video.tracks[t].faces;
    std::vector<std::vector<uint8_t>> crops;
    std::vector<uint8_t> packed;
    for (int64_t f = 0; f < faces.dim(0); ++f) {
      crops.push_back(TensorFrameToRgb(faces, f, video.preprocessing));
      packed.insert(packed.end(), crops.back().begin(), crops.back().end());
    }
    absl::StatusOr<nn::Tensor> again = CropsToTensor(crops, video.preprocessing);
    if (!again.ok() || again->bytes() != faces.bytes() ||
        std::memcmp(again->raw_data(), faces.raw_data(), faces.bytes()) != 0) {
      return absl::InternalError(absl::StrCat(
          entry, ": track ", t, "'s tensor is not a normalized 8-bit crop; not cached"));
    }
    specs.push_back({TensorName(static_cast<int>(t)),
                     nn::Shape{faces.dim(0), faces.dim(2), faces.dim(3), 3}, "U8"});
    bytes.push_back(std::move(packed));
  }
  nn::io::Metadata metadata = {
      {"format", kFormat},
      {"key", key},
      {"content_xxh64", Hex(content_hash)},
      {"tensor_xxh64", Hex(TensorChecksum(video))},
      {"video", PreprocessedVideoToJson(video).dump()},
  };
  ASSIGN_OR_RETURN(std::unique_ptr<nn::io::SafetensorsStreamWriter> writer,
                   nn::io::SafetensorsStreamWriter::CreateTyped(entry, specs, metadata));
  for (size_t t = 0; t < specs.size(); ++t) {
    RETURN_IF_ERROR(
        writer->AppendU8(specs[t].name, bytes[t].data(), static_cast<int64_t>(bytes[t].size())));
  }
  return writer->Finish();
}

absl::StatusOr<PreprocessedVideo> FaceCache::Get(const std::string& path,
                                                 const nn::Preprocessing& preprocessing,
                                                 const PreprocessOptions& options,
                                                 CacheOutcome* outcome) {
  CacheOutcome local;
  CacheOutcome& result_outcome = outcome != nullptr ? *outcome : local;
  absl::StatusOr<uint64_t> content_hash = base::Xxh64File(path);
  if (!content_hash.ok()) {
    // Let the decoder say what is wrong with the file (missing, unreadable, ...).
    return PreprocessVideo(path, preprocessing, options);
  }
  const std::string key = PreprocessingKey(preprocessing, options);
  const std::string entry = EntryPath(*content_hash, key);
  std::error_code error;
  const bool exists = std::filesystem::exists(entry, error);
  if (exists) {
    absl::StatusOr<PreprocessedVideo> cached = Read(entry, key);
    if (cached.ok()) {
      cached->path = path;
      result_outcome = CacheOutcome::kHit;
      return cached;
    }
  }
  ASSIGN_OR_RETURN(PreprocessedVideo video, PreprocessVideo(path, preprocessing, options));
  std::filesystem::create_directories(directory_, error);
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat(directory_, ": cannot create the face cache directory: ", error.message()));
  }
  RETURN_IF_ERROR(Write(entry, key, *content_hash, video));
  result_outcome = exists ? CacheOutcome::kRecomputed : CacheOutcome::kMiss;
  return video;
}

}  // namespace video
