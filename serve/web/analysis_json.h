// An Analysis (store.h) as API.md's JSON (summary in lists, full with the result) and its
// per-frame CSV download.
#ifndef SERVE_WEB_ANALYSIS_JSON_H_
#define SERVE_WEB_ANALYSIS_JSON_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "serve/web/store.h"

namespace serve::web {

// API.md "Analysis (summary)"; queue_position 0 = not queued (null).
nlohmann::json SummaryJson(const Analysis& analysis, int64_t queue_position);
// The summary plus "result" (the stored result JSON, or null until done).
nlohmann::json FullJson(const Analysis& analysis, int64_t queue_position);

// One row per track frame: track,frame_index,timestamp_seconds,left,top,right,bottom,
// detected,fake_probability (after a header line), from a stored result JSON.
absl::StatusOr<std::string> ResultCsv(const std::string& result_json);

}  // namespace serve::web

#endif  // SERVE_WEB_ANALYSIS_JSON_H_
