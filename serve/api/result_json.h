// The detection result in the formats the ecosystem reads: JSON (one object per video;
// JSONL = one per line), CSV (one row per video). The layout is versioned
// (kResultSchemaVersion, in every object as "schema_version") and documented by the JSON
// Schema serve/api/result_schema.json; a change that removes or renames a field bumps the
// version.
#ifndef SERVE_API_RESULT_JSON_H_
#define SERVE_API_RESULT_JSON_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "serve/api/detector.h"

namespace serve {

inline constexpr int kResultSchemaVersion = 1;

struct JsonOptions {
  bool frames = true;       // per-track frame entries (boxes, per-frame scores)
  bool thumbnails = false;  // thumbnails as base64 PNG data (large)
};

nlohmann::json ResultToJson(const DetectionResult& result, const JsonOptions& options = {});

// The inverse of ResultToJson for the fields it writes (thumbnails and heatmap overlays are
// not read back): ResultToJson(*ResultFromJson(j)) == j for every j that ResultToJson made,
// so results read back re-serialise byte for byte. Errors (InvalidArgument) name the JSON
// path and the problem: a missing field, a wrong type, an unknown verdict or reason, a
// "schema_version" other than kResultSchemaVersion.
absl::StatusOr<DetectionResult> ResultFromJson(const nlohmann::json& json);

// CSV: a header line, then one row per video (path, verdict, fake_probability, threshold,
// reason, message, faces, deciding_track, duration, fps, width, height, codec, sha256,
// model, preset, model_sha256, total_ms), RFC 4180 quoting; neither ends in a line break.
std::string CsvHeader();
std::string ResultToCsvRow(const DetectionResult& result);

// PNG bytes of an image (eval/plot's encoder).
std::string EncodePng(const Image& image);

}  // namespace serve

#endif  // SERVE_API_RESULT_JSON_H_
