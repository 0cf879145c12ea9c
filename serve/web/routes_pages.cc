// The pages (API.md "Pages"): the single-page app's routes served its HTML from the
// embedded assets, the static assets with ETags, and the login form for --api_token.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "serve/web/assets.h"
#include "serve/web/auth.h"
#include "serve/web/http_util.h"
#include "serve/web/routes.h"

namespace serve::web {
namespace {

using httplib::Request;
using httplib::Response;

// Used when the embedded assets have no /login.html: a plain form (no script, no inline
// style, so the CSP holds).
constexpr char kLoginPage[] = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>deepfake: log in</title><link rel="stylesheet" href="/style.css"></head>
<body><main class="login"><h1>deepfake</h1>
<form method="post" action="/login"><label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Log in</button></form></main></body></html>
)";

void SendAsset(const Asset& asset, const Request& req, Response& res) {
  res.set_header("ETag", std::string(asset.etag));
  res.set_header("Cache-Control", "no-cache");
  if (req.get_header_value("If-None-Match") == asset.etag) {
    res.status = 304;
    return;
  }
  res.set_content(asset.data.data(), asset.data.size(), std::string(asset.content_type));
}

// The page of a single-page-app route: `preferred` when embedded, else "/" (index.html).
void SendPage(const char* preferred, const Request& req, Response& res) {
  const Asset* asset = FindAsset(preferred);
  if (asset == nullptr) asset = FindAsset("/");
  if (asset == nullptr) return SendError(res, 404, "no page is embedded in this build");
  SendAsset(*asset, req, res);
}

}  // namespace

void RegisterPageRoutes(httplib::Server& server, ServerContext& context) {
  server.Get("/", [](const Request& req, Response& res) { SendPage("/", req, res); });
  server.Get("/history", [](const Request& req, Response& res) { SendPage("/", req, res); });
  server.Get("/analyses/([0-9a-f]{32})",
             [](const Request& req, Response& res) { SendPage("/", req, res); });
  server.Get("/analyses/([0-9a-f]{32})/report",
             [](const Request& req, Response& res) { SendPage("/report.html", req, res); });
  server.Get("/login", [](const Request& req, Response& res) {
    if (const Asset* asset = FindAsset("/login.html"); asset != nullptr) {
      return SendAsset(*asset, req, res);
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_content(kLoginPage, "text/html; charset=utf-8");
  });
  server.Post("/login", [&context](const Request& req, Response& res) {
    const std::string& token = context.options.api_token;
    if (token.empty()) return res.set_redirect("/", 303);
    // A login form posted from another site is refused (the browser names the origin).
    const std::string origin = req.get_header_value("Origin");
    if (!origin.empty() && origin != "null" &&
        !absl::EndsWith(origin, absl::StrCat("//", req.get_header_value("Host")))) {
      return SendError(res, 403, absl::StrCat("login from another origin (", origin, ") refused"));
    }
    if (!ConstantTimeEquals(req.get_param_value("token"), token)) {
      return res.set_redirect("/login?error=token", 303);
    }
    res.set_header("Set-Cookie", LoginCookie(token));
    res.set_redirect("/", 303);
  });
  // Every other embedded file (scripts, styles, images, vendored libraries).
  server.Get("/.+", [](const Request& req, Response& res) {
    const Asset* asset = FindAsset(req.path);
    if (asset == nullptr) return SendError(res, 404, absl::StrCat("no such page: ", req.path));
    SendAsset(*asset, req, res);
  });
}

}  // namespace serve::web
