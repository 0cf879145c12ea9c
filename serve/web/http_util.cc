// JSON responses, errors, security headers, ISO 8601 times and ids.
#include "serve/web/http_util.h"

#include <ctime>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace serve::web {

const std::vector<std::pair<std::string, std::string>>& SecurityHeaders() {
  static const auto* headers = new std::vector<std::pair<std::string, std::string>>{
      {"Content-Security-Policy",
       "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
       "object-src 'none'; frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
  };
  return *headers;
}

std::string StatusName(int code) {
  switch (code) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "conflict";
    case 411:
      return "length_required";
    case 413:
      return "payload_too_large";
    case 414:
      return "uri_too_long";
    case 415:
      return "unsupported_media_type";
    case 416:
      return "range_not_satisfiable";
    case 500:
      return "internal";
    case 503:
      return "unavailable";
    default:
      break;
  }
  return absl::StrCat("http_", code);
}

nlohmann::json ErrorJson(int code, const std::string& message) {
  return {{"error", {{"code", code}, {"status", StatusName(code)}, {"message", message}}}};
}

void SendJson(httplib::Response& res, int code, const nlohmann::json& body) {
  res.status = code;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                  kJsonType);
}

void SendError(httplib::Response& res, int code, const std::string& message) {
  SendJson(res, code, ErrorJson(code, message));
}

std::string IsoTime(int64_t epoch_ms) {
  const std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                         static_cast<int>(epoch_ms % 1000));
}

absl::StatusOr<int64_t> ParseIsoTime(const std::string& text, bool end_of_day) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, consumed = 0;
  double second = 0;
  const auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text, "' is not a date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM[:SS]Z)"));
  };
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &year, &month, &day, &consumed) != 3) return bad();
  bool date_only = consumed == static_cast<int>(text.size());
  if (!date_only) {
    const char* rest = text.c_str() + consumed;
    if (*rest != 'T' && *rest != ' ') return bad();
    int used = 0;
    if (std::sscanf(rest + 1, "%2d:%2d%n", &hour, &minute, &used) != 2) return bad();
    rest += 1 + used;
    if (*rest == ':') {
      char* end = nullptr;
      second = std::strtod(rest + 1, &end);
      rest = end;
    }
    if (*rest == 'Z') ++rest;
    if (*rest != '\0') return bad();
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second < 0 ||
      second >= 61) {
    return bad();
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  const int64_t seconds = static_cast<int64_t>(timegm(&tm));
  int64_t ms = seconds * 1000 + static_cast<int64_t>(second * 1000);
  if (date_only && end_of_day) ms += 86400000 - 1;
  return ms;
}

std::string NewAnalysisId() {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  return absl::StrFormat("%016x%016x", generator(), generator());
}

bool IsAnalysisId(const std::string& text) {
  if (text.size() != 32) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string HumanBytes(int64_t bytes) {
  if (bytes >= 1000000) return absl::StrFormat("%.1f MB", bytes / 1e6);
  if (bytes >= 1000) return absl::StrFormat("%.1f kB", bytes / 1e3);
  return absl::StrCat(bytes, " bytes");
}

}  // namespace serve::web
