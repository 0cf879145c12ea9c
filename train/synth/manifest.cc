// Manifest JSON serialization.
#include "train/synth/manifest.h"

#include <fstream>

#include "absl/strings/str_cat.h"

namespace train::synth {

nlohmann::json ManifestToJson(const Manifest& manifest) {
  nlohmann::json entries = nlohmann::json::array();
  for (const ManifestEntry& e : manifest.entries) {
    entries.push_back({{"file", e.file},
                       {"label", e.label},
                       {"method", e.method},
                       {"target_clip", e.target_clip},
                       {"target_identity", e.target_identity},
                       {"source_clip", e.source_clip},
                       {"source_identity", e.source_identity},
                       {"split", e.split},
                       {"crf", e.crf},
                       {"seed", e.seed},
                       {"frames", e.frames},
                       {"width", e.width},
                       {"height", e.height},
                       {"frame_rate", e.frame_rate},
                       {"params", e.params}});
  }
  return {{"format", "deepfake-synth-manifest-1"},
          {"seed", manifest.seed},
          {"options", manifest.options},
          {"entries", entries}};
}

absl::StatusOr<Manifest> ManifestFromJson(const nlohmann::json& json, const std::string& name) {
  try {
    if (json.value("format", "") != "deepfake-synth-manifest-1") {
      return absl::InvalidArgumentError(absl::StrCat(name, ": not a synth manifest"));
    }
    Manifest m;
    m.seed = json.at("seed").get<uint64_t>();
    m.options = json.value("options", nlohmann::json::object());
    for (const nlohmann::json& j : json.at("entries")) {
      ManifestEntry e;
      j.at("file").get_to(e.file);
      j.at("label").get_to(e.label);
      j.at("method").get_to(e.method);
      j.at("target_clip").get_to(e.target_clip);
      j.at("target_identity").get_to(e.target_identity);
      j.at("source_clip").get_to(e.source_clip);
      j.at("source_identity").get_to(e.source_identity);
      j.at("split").get_to(e.split);
      j.at("crf").get_to(e.crf);
      j.at("seed").get_to(e.seed);
      j.at("frames").get_to(e.frames);
      j.at("width").get_to(e.width);
      j.at("height").get_to(e.height);
      j.at("frame_rate").get_to(e.frame_rate);
      e.params = j.value("params", nlohmann::json::object());
      if (e.label != "real" && e.label != "fake") {
        return absl::InvalidArgumentError(
            absl::StrCat(name, ": ", e.file, ": label must be real or fake, not ", e.label));
      }
      m.entries.push_back(std::move(e));
    }
    return m;
  } catch (const nlohmann::json::exception& error) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": bad manifest: ", error.what()));
  }
}

absl::Status WriteManifest(const Manifest& manifest, const std::string& path) {
  std::ofstream out(path);
  if (!out) return absl::PermissionDeniedError(absl::StrCat(path, ": cannot write"));
  out << ManifestToJson(manifest).dump(2) << "\n";
  if (!out.good()) return absl::DataLossError(absl::StrCat(path, ": write failed"));
  return absl::OkStatus();
}

absl::StatusOr<Manifest> ReadManifest(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  nlohmann::json json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(path, ": not JSON"));
  return ManifestFromJson(json, path);
}

std::vector<std::string> EntryIdentities(const ManifestEntry& entry) {
  std::vector<std::string> ids = {entry.target_identity};
  if (!entry.source_identity.empty() && entry.source_identity != entry.target_identity) {
    ids.push_back(entry.source_identity);
  }
  return ids;
}

}  // namespace train::synth
