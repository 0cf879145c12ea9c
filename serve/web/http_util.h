// Small HTTP helpers of the dashboard's server: JSON responses and errors in API.md's
// shape, the security headers every response carries, times as ISO 8601, random ids.
#ifndef SERVE_WEB_HTTP_UTIL_H_
#define SERVE_WEB_HTTP_UTIL_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace serve::web {

inline constexpr char kJsonType[] = "application/json; charset=utf-8";

// Content-Security-Policy, X-Content-Type-Options, X-Frame-Options, Referrer-Policy
// (API.md, "Pages").
const std::vector<std::pair<std::string, std::string>>& SecurityHeaders();

// "payload_too_large" for 413, ... (snake_case of the reason phrase).
std::string StatusName(int code);

void SendJson(httplib::Response& res, int code, const nlohmann::json& body);
// {"error": {"code": N, "status": "...", "message": "..."}}.
void SendError(httplib::Response& res, int code, const std::string& message);
nlohmann::json ErrorJson(int code, const std::string& message);

// "2026-12-01T06:12:03.120Z" (UTC, milliseconds).
std::string IsoTime(int64_t epoch_ms);
// "2026-12-01", "2026-12-01T06:12", "2026-12-01T06:12:03(.120)Z" (UTC) -> epoch ms; a bare
// date with `end_of_day` is its last millisecond (for an inclusive "to").
absl::StatusOr<int64_t> ParseIsoTime(const std::string& text, bool end_of_day);

// 32 lowercase hex characters from 128 random bits.
std::string NewAnalysisId();
bool IsAnalysisId(const std::string& text);

// Bytes as "12.3 MB" (decimal units, for messages).
std::string HumanBytes(int64_t bytes);

}  // namespace serve::web

#endif  // SERVE_WEB_HTTP_UTIL_H_
