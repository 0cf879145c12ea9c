// Who may call the dashboard (API.md, "Authentication", "Cross-site requests"): the
// optional token (Bearer header for API clients, the deepfake_token cookie set by
// POST /login for pages) and the header that state-changing browser requests must carry.
#ifndef SERVE_WEB_AUTH_H_
#define SERVE_WEB_AUTH_H_

#include <string>

#include "httplib.h"

namespace serve::web {

inline constexpr char kTokenCookie[] = "deepfake_token";
inline constexpr char kCsrfHeader[] = "X-Requested-With";
inline constexpr char kCsrfValue[] = "deepfake";

// Comparison whose time does not depend on where the strings differ.
bool ConstantTimeEquals(const std::string& a, const std::string& b);

// The Bearer token of the Authorization header, or "" when there is none.
std::string BearerToken(const httplib::Request& req);
// The value of cookie `name`, or "".
std::string CookieValue(const httplib::Request& req, const std::string& name);

// Whether `req` carries `token` (Bearer header or cookie). Always true when token is "".
bool Authorized(const httplib::Request& req, const std::string& token);

// Whether a state-changing request may proceed: GET/HEAD always; POST/PUT/PATCH/DELETE
// with an Authorization: Bearer header or with X-Requested-With: deepfake.
bool CrossSiteSafe(const httplib::Request& req);

// The Set-Cookie value that logs a browser in (HttpOnly, SameSite=Strict, Path=/).
std::string LoginCookie(const std::string& token);

}  // namespace serve::web

#endif  // SERVE_WEB_AUTH_H_
