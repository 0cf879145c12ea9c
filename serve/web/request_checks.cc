// What every request passes before routing (and before an upload's body is read): the
// token (401 / redirect to /login), the cross-site header (403), and for uploads the
// Content-Length limit (413) and a full queue (503 + Retry-After).
#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "serve/web/assets.h"
#include "serve/web/auth.h"
#include "serve/web/http_util.h"
#include "serve/web/routes.h"

namespace serve::web {
namespace {

using HandlerResponse = httplib::Server::HandlerResponse;

constexpr int64_t kMaxFormBytes = 64 << 10;  // bodies of requests other than uploads

bool IsApi(const std::string& path) {
  return absl::StartsWith(path, "/api/") || path == "/metrics";
}

// Paths anyone may fetch: health, the login page, and static scripts/styles/images (no
// data in them; the login page needs them). Pages (HTML) and the API need the token.
bool IsOpen(const std::string& path) {
  if (path == "/healthz" || path == "/login") return true;
  if (path == "/" || IsApi(path)) return false;
  const Asset* asset = FindAsset(path);
  return asset != nullptr && asset->content_type.substr(0, 9) != "text/html";
}

}  // namespace

int RetryAfterSeconds(ServerContext& context, int64_t queued) {
  const double mean = context.metrics.MeanAnalysisSeconds();
  const double seconds =
      (mean > 0 ? mean : 10) * (1.0 + queued) / std::max(1, context.options.workers);
  return static_cast<int>(std::clamp(std::ceil(seconds), 1.0, 600.0));
}

HandlerResponse CheckRequest(ServerContext& context, const httplib::Request& req,
                             httplib::Response& res) {
  const ServeOptions& options = context.options;
  if (!IsOpen(req.path) && !Authorized(req, options.api_token)) {
    if (IsApi(req.path) || req.method != "GET") {
      res.set_header("WWW-Authenticate", "Bearer realm=\"deepfake\"");
      SendError(res, 401,
                "this server needs a token: send 'Authorization: Bearer TOKEN' (or log in at "
                "/login)");
    } else {
      res.set_redirect("/login", 303);
    }
    return HandlerResponse::Handled;
  }
  if (req.path != "/login" && !CrossSiteSafe(req)) {
    SendError(res, 403,
              absl::StrCat(req.method, " ", req.path, " needs the header '", kCsrfHeader, ": ",
                           kCsrfValue, "' (or a Bearer token): cross-site requests are refused"));
    return HandlerResponse::Handled;
  }
  const bool upload = req.method == "POST" && req.path == "/api/v1/analyses";
  if (!upload && req.method != "GET" && req.method != "HEAD") {
    // Only uploads carry large bodies; anything else would be read whole into memory.
    uint64_t length = 0;
    if (absl::StrContains(req.get_header_value("Transfer-Encoding"), "chunked")) {
      res.set_header("Connection", "close");
      SendError(res, 411, absl::StrCat(req.method, " ", req.path, " needs a Content-Length"));
      return HandlerResponse::Handled;
    }
    if (req.has_header("Content-Length") &&
        absl::SimpleAtoi(req.get_header_value("Content-Length"), &length) &&
        length > static_cast<uint64_t>(kMaxFormBytes)) {
      res.set_header("Connection", "close");
      SendError(res, 413,
                absl::StrCat("the body of ", req.method, " ", req.path, " is over ",
                             HumanBytes(kMaxFormBytes)));
      return HandlerResponse::Handled;
    }
  }
  if (upload) {
    uint64_t length = 0;
    if (req.has_header("Content-Length") &&
        absl::SimpleAtoi(req.get_header_value("Content-Length"), &length) &&
        length > static_cast<uint64_t>(options.max_upload_bytes + kMultipartOverheadBytes)) {
      context.metrics.RecordRejectedUpload("too_large");
      res.set_header("Connection", "close");
      SendError(res, 413,
                absl::StrCat("the upload is ", HumanBytes(static_cast<int64_t>(length)),
                             "; the limit is ", HumanBytes(options.max_upload_bytes),
                             " per request (--max_upload_mb)"));
      return HandlerResponse::Handled;
    }
    absl::StatusOr<StoreCounts> counts = context.store->Counts();
    if (counts.ok() && counts->queued >= options.queue_capacity) {
      context.metrics.RecordRejectedUpload("queue_full");
      res.set_header("Retry-After", std::to_string(RetryAfterSeconds(context, counts->queued)));
      res.set_header("Connection", "close");
      SendError(res, 503,
                absl::StrCat("the queue is full (", counts->queued, " analyses waiting, capacity ",
                             options.queue_capacity, "); retry later"));
      return HandlerResponse::Handled;
    }
  }
  return HandlerResponse::Unhandled;
}

}  // namespace serve::web
