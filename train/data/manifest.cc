// Manifest JSON serialization.
#include "train/data/manifest.h"

#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/atomic_file.h"

namespace train::data {
namespace {

// A field with a value out of range; caught in ManifestFromJson like nlohmann's exceptions.
struct FieldError {
  std::string message;
};

// j[key] as an integer in [low, high]. Checked before converting: nlohmann's get<int>
// casts any number (1e300 to int is undefined behaviour, -1 to uint64_t wraps).
int64_t Integer(const nlohmann::json& j, const char* key, int64_t low, int64_t high) {
  const nlohmann::json& value = j.at(key);
  if (value.is_number_unsigned() && value.get<uint64_t>() <= static_cast<uint64_t>(high)) {
    return value.get<int64_t>();
  }
  if (value.is_number_integer() && !value.is_number_unsigned()) {
    const int64_t v = value.get<int64_t>();
    if (v >= low && v <= high) return v;
  }
  throw FieldError{
      absl::StrCat(key, " must be an integer in [", low, ", ", high, "], not ", value.dump())};
}

uint64_t Seed(const nlohmann::json& j) {
  const nlohmann::json& value = j.at("seed");
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0) return value.get<uint64_t>();
  throw FieldError{absl::StrCat("seed must be an unsigned integer, not ", value.dump())};
}

}  // namespace

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
    m.seed = Seed(json);
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
      constexpr int64_t kIntMax = std::numeric_limits<int>::max();
      e.crf = static_cast<int>(Integer(j, "crf", 0, 63));
      e.seed = Seed(j);
      e.frames = static_cast<int>(Integer(j, "frames", 0, kIntMax));
      e.width = static_cast<int>(Integer(j, "width", 0, kIntMax));
      e.height = static_cast<int>(Integer(j, "height", 0, kIntMax));
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
  } catch (const FieldError& error) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": bad manifest: ", error.message));
  }
}

absl::Status WriteManifest(const Manifest& manifest, const std::string& path) {
  return base::WriteFileAtomically(path, ManifestToJson(manifest).dump(2) + "\n");
}

absl::StatusOr<Manifest> ParseManifest(std::string_view text, const std::string& name) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(name, ": not JSON"));
  return ManifestFromJson(json, name);
}

absl::StatusOr<Manifest> ReadManifest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::ostringstream text;
  text << in.rdbuf();
  return ParseManifest(text.str(), path);
}

std::vector<std::string> EntryIdentities(const ManifestEntry& entry) {
  std::vector<std::string> ids = {entry.target_identity};
  if (!entry.source_identity.empty() && entry.source_identity != entry.target_identity) {
    ids.push_back(entry.source_identity);
  }
  return ids;
}

}  // namespace train::data
