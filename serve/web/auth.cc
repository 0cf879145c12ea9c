// Token and cross-site checks.
#include "serve/web/auth.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace serve::web {

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

std::string BearerToken(const httplib::Request& req) {
  const std::string value = req.get_header_value("Authorization");
  absl::string_view rest(value);
  if (!absl::ConsumePrefix(&rest, "Bearer ")) return "";
  return std::string(absl::StripAsciiWhitespace(rest));
}

std::string CookieValue(const httplib::Request& req, const std::string& name) {
  for (size_t i = 0; i < req.get_header_value_count("Cookie"); ++i) {
    for (absl::string_view pair : absl::StrSplit(req.get_header_value("Cookie", i), ';')) {
      pair = absl::StripAsciiWhitespace(pair);
      if (absl::ConsumePrefix(&pair, name) && absl::ConsumePrefix(&pair, "=")) {
        return std::string(pair);
      }
    }
  }
  return "";
}

bool Authorized(const httplib::Request& req, const std::string& token) {
  if (token.empty()) return true;
  const std::string bearer = BearerToken(req);
  if (!bearer.empty()) return ConstantTimeEquals(bearer, token);
  const std::string cookie = CookieValue(req, kTokenCookie);
  return !cookie.empty() && ConstantTimeEquals(cookie, token);
}

bool CrossSiteSafe(const httplib::Request& req) {
  if (req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS") return true;
  if (!BearerToken(req).empty()) return true;
  return req.get_header_value(kCsrfHeader) == kCsrfValue;
}

std::string LoginCookie(const std::string& token) {
  return absl::StrCat(kTokenCookie, "=", token, "; HttpOnly; SameSite=Strict; Path=/");
}

}  // namespace serve::web
