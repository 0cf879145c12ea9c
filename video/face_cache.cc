// The face cache: XXH64 content hashing, the parameter key, safetensors entries.
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
#include "nlohmann/json.hpp"
#include "nn/io/safetensors.h"
#include "nn/io/safetensors_stream_writer.h"
#include "video/library_versions.h"
#include "video/preprocess_json.h"

namespace video {
namespace {

constexpr uint64_t kPrime1 = 11400714785074694791ULL;
constexpr uint64_t kPrime2 = 14029467366897019727ULL;
constexpr uint64_t kPrime3 = 1609587929392839161ULL;
constexpr uint64_t kPrime4 = 9650029242287828579ULL;
constexpr uint64_t kPrime5 = 2870177450012600261ULL;
// Bumped whenever the entries or what the same parameters produce change (2: unknown-
// duration sampling picks the first kept frame at or after each i * D / N; 3: crops stored
// as 8-bit RGB).
constexpr char kFormat[] = "deepfake-face-cache-3";

uint64_t Rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
uint64_t Read64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);  // little-endian hosts (x86-64)
  return v;
}
uint32_t Read32(const unsigned char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t Round(uint64_t acc, uint64_t input) {
  acc += input * kPrime2;
  return Rotl(acc, 31) * kPrime1;
}
uint64_t MergeRound(uint64_t acc, uint64_t v) {
  acc ^= Round(0, v);
  return acc * kPrime1 + kPrime4;
}

std::string Hex(uint64_t value) { return absl::StrFormat("%016x", value); }

// XXH64 over the bytes of every tensor, in track order.
uint64_t TensorChecksum(const PreprocessedVideo& video) {
  Xxh64 hash;
  for (const PreprocessedTrack& track : video.tracks) {
    hash.Update(track.faces.raw_data(), track.faces.bytes());
  }
  return hash.Digest();
}

std::string TensorName(int track) { return absl::StrFormat("track_%04d", track); }

}  // namespace

Xxh64::Xxh64(uint64_t seed) : seed_(seed) {
  v_[0] = seed + kPrime1 + kPrime2;
  v_[1] = seed + kPrime2;
  v_[2] = seed;
  v_[3] = seed - kPrime1;
}

void Xxh64::Update(const void* data, size_t size) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  total_ += size;
  if (buffered_ + size < 32) {
    std::memcpy(buffer_ + buffered_, p, size);
    buffered_ += size;
    return;
  }
  if (buffered_ > 0) {
    const size_t fill = 32 - buffered_;
    std::memcpy(buffer_ + buffered_, p, fill);
    for (int i = 0; i < 4; ++i) v_[i] = Round(v_[i], Read64(buffer_ + 8 * i));
    p += fill;
    size -= fill;
    buffered_ = 0;
  }
  while (size >= 32) {
    for (int i = 0; i < 4; ++i) v_[i] = Round(v_[i], Read64(p + 8 * i));
    p += 32;
    size -= 32;
  }
  std::memcpy(buffer_, p, size);
  buffered_ = size;
}

uint64_t Xxh64::Digest() const {
  uint64_t h;
  if (total_ >= 32) {
    h = Rotl(v_[0], 1) + Rotl(v_[1], 7) + Rotl(v_[2], 12) + Rotl(v_[3], 18);
    for (int i = 0; i < 4; ++i) h = MergeRound(h, v_[i]);
  } else {
    h = seed_ + kPrime5;
  }
  h += total_;
  const unsigned char* p = buffer_;
  size_t left = buffered_;
  while (left >= 8) {
    h ^= Round(0, Read64(p));
    h = Rotl(h, 27) * kPrime1 + kPrime4;
    p += 8;
    left -= 8;
  }
  if (left >= 4) {
    h ^= static_cast<uint64_t>(Read32(p)) * kPrime1;
    h = Rotl(h, 23) * kPrime2 + kPrime3;
    p += 4;
    left -= 4;
  }
  while (left > 0) {
    h ^= (*p) * kPrime5;
    h = Rotl(h, 11) * kPrime1;
    ++p;
    --left;
  }
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  h *= kPrime3;
  h ^= h >> 32;
  return h;
}

uint64_t HashBytes(const void* data, size_t size, uint64_t seed) {
  Xxh64 hash(seed);
  hash.Update(data, size);
  return hash.Digest();
}

absl::StatusOr<uint64_t> HashFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat(path, ": cannot open file"));
  Xxh64 hash;
  std::vector<char> block(1 << 20);
  while (file) {
    file.read(block.data(), block.size());
    hash.Update(block.data(), static_cast<size_t>(file.gcount()));
  }
  if (file.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return hash.Digest();
}

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
        options.detector.score_threshold}},
      {"tracker",
       {options.tracker.min_iou, options.tracker.max_landmark_distance,
        options.tracker.min_face_size, options.tracker.min_track_detections,
        options.tracker.min_track_fraction}},
      {"min_frames", options.min_frames},
  };
  return key.dump();
}

FaceCache::FaceCache(std::string directory) : directory_(std::move(directory)) {}

std::string FaceCache::EntryPath(uint64_t content_hash, const std::string& key) const {
  return (std::filesystem::path(directory_) /
          (Hex(content_hash) + "-" + Hex(HashBytes(key.data(), key.size())) + ".safetensors"))
      .string();
}

absl::StatusOr<PreprocessedVideo> FaceCache::Read(const std::string& entry,
                                                  const std::string& key) const {
  nn::io::Metadata metadata;
  absl::StatusOr<nn::io::TensorMap> tensors = nn::io::ReadSafetensors(entry, &metadata);
  if (!tensors.ok()) return tensors.status();
  if (metadata["format"] != kFormat || metadata["key"] != key) {
    return absl::DataLossError(absl::StrCat(entry, ": written for other parameters"));
  }
  nlohmann::json json = nlohmann::json::parse(metadata["video"], nullptr, false);
  if (json.is_discarded()) return absl::DataLossError(absl::StrCat(entry, ": bad metadata"));
  absl::StatusOr<PreprocessedVideo> video = PreprocessedVideoFromJson(json);
  if (!video.ok()) return absl::DataLossError(absl::StrCat(entry, ": ", video.status().message()));
  if (tensors->size() != video->tracks.size()) {
    return absl::DataLossError(absl::StrCat(entry, ": ", tensors->size(), " tensors for ",
                                            video->tracks.size(), " tracks"));
  }
  for (size_t t = 0; t < video->tracks.size(); ++t) {
    auto it = tensors->find(TensorName(static_cast<int>(t)));
    const int64_t size = video->preprocessing.image_size;
    const nn::Shape expected{static_cast<int64_t>(video->frames.size()), size, size, 3};
    if (it == tensors->end() || it->second.shape() != expected ||
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
  absl::StatusOr<std::unique_ptr<nn::io::SafetensorsStreamWriter>> writer =
      nn::io::SafetensorsStreamWriter::CreateTyped(entry, specs, metadata);
  if (!writer.ok()) return writer.status();
  for (size_t t = 0; t < specs.size(); ++t) {
    absl::Status appended =
        (*writer)->AppendU8(specs[t].name, bytes[t].data(), static_cast<int64_t>(bytes[t].size()));
    if (!appended.ok()) return appended;
  }
  return (*writer)->Finish();
}

absl::StatusOr<PreprocessedVideo> FaceCache::Get(const std::string& path,
                                                 const nn::Preprocessing& preprocessing,
                                                 const PreprocessOptions& options,
                                                 CacheOutcome* outcome) {
  CacheOutcome local;
  CacheOutcome& result_outcome = outcome != nullptr ? *outcome : local;
  absl::StatusOr<uint64_t> content_hash = HashFile(path);
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
  absl::StatusOr<PreprocessedVideo> video = PreprocessVideo(path, preprocessing, options);
  if (!video.ok()) return video.status();
  std::filesystem::create_directories(directory_, error);
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat(directory_, ": cannot create the face cache directory: ", error.message()));
  }
  absl::Status written = Write(entry, key, *content_hash, *video);
  if (!written.ok()) return written;
  result_outcome = exists ? CacheOutcome::kRecomputed : CacheOutcome::kMiss;
  return video;
}

}  // namespace video
