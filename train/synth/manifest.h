// The dataset manifest: one record per generated video (label, method, source and target
// clips and identities, parameters, seed, split), stored as JSON beside the videos.
#ifndef TRAIN_SYNTH_MANIFEST_H_
#define TRAIN_SYNTH_MANIFEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace train::synth {

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

nlohmann::json ManifestToJson(const Manifest& manifest);
absl::StatusOr<Manifest> ManifestFromJson(const nlohmann::json& json, const std::string& name);

absl::Status WriteManifest(const Manifest& manifest, const std::string& path);
absl::StatusOr<Manifest> ReadManifest(const std::string& path);

// The identities an entry shows (target, and source when different).
std::vector<std::string> EntryIdentities(const ManifestEntry& entry);

}  // namespace train::synth

#endif  // TRAIN_SYNTH_MANIFEST_H_
