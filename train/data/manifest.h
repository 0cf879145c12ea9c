// The dataset manifest: one record per video of a dataset (label, method, source and target
// clips and identities, parameters, seed, split), stored as DIR/manifest.json beside the
// videos. train/synth writes it; training, evaluation and tools/cache_faces read it.
#ifndef TRAIN_DATA_MANIFEST_H_
#define TRAIN_DATA_MANIFEST_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace train::data {

struct ManifestEntry {
  std::string file;    // relative to the dataset directory, e.g. "videos/x.mp4"
  std::string label;   // "real" or "fake"
  std::string method;  // "real", "face_swap", "self_blend"
  std::string target_clip, target_identity;  // the clip whose frames (and head) are used
  std::string source_clip, source_identity;  // face swap: whose face; else = target
  std::string split;                         // "train", "val", "test"
  int crf = 0;
  uint64_t seed = 0;  // the seed of this output's random choices
  int frames = 0, width = 0, height = 0;
  double frame_rate = 0;
  nlohmann::json params = nlohmann::json::object();  // method parameters
};

struct Manifest {
  uint64_t seed = 0;                                  // the generator's seed
  nlohmann::json options = nlohmann::json::object();  // generator options
  std::vector<ManifestEntry> entries;
};

// The JSON form ("format": "deepfake-synth-manifest-1").
nlohmann::json ManifestToJson(const Manifest& manifest);
// Parses the JSON form. Never throws: a wrong format, a missing or mistyped field or a label
// other than real/fake is kInvalidArgument naming `name` (the file) and the problem.
absl::StatusOr<Manifest> ManifestFromJson(const nlohmann::json& json, const std::string& name);
// ManifestFromJson of the bytes of a manifest file (kInvalidArgument when not JSON).
absl::StatusOr<Manifest> ParseManifest(std::string_view text, const std::string& name);

// Writes the JSON form (indented) to `path` atomically (base/atomic_file.h).
absl::Status WriteManifest(const Manifest& manifest, const std::string& path);
// Reads `path`; kNotFound when it cannot be opened, else as ParseManifest.
absl::StatusOr<Manifest> ReadManifest(const std::string& path);

// The identities an entry shows (target, and source when different).
std::vector<std::string> EntryIdentities(const ManifestEntry& entry);

}  // namespace train::data

#endif  // TRAIN_DATA_MANIFEST_H_
