// The dashboard's pages, styles, scripts and vendored libraries, embedded in the binary at
// build time (no file is read at run time, no CDN). Generated from serve/web/assets/ by the
// :assets rule (each file's bytes, content type and sha256-based ETag).
#ifndef SERVE_WEB_ASSETS_H_
#define SERVE_WEB_ASSETS_H_

#include <string_view>
#include <vector>

namespace serve::web {

struct Asset {
  std::string_view path;          // URL path, e.g. "/", "/app.js", "/style.css"
  std::string_view content_type;  // "text/html; charset=utf-8", ...
  std::string_view data;
  std::string_view etag;          // quoted strong ETag
};

// The asset served at `path`, or nullptr. "/" is index.html; the single-page app's routes
// (/analyses/{id}, /history, /analyses/{id}/report) are served index.html or report.html by
// the server, not here.
const Asset* FindAsset(std::string_view path);
const std::vector<Asset>& AllAssets();

}  // namespace serve::web

#endif  // SERVE_WEB_ASSETS_H_
