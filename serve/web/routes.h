// The dashboard's HTTP routes (API.md): the API's table (also what openapi.json must
// document; openapi_test checks both ways), its handlers, the pages, and the checks every
// request passes first (token, cross-site header, upload admission).
#ifndef SERVE_WEB_ROUTES_H_
#define SERVE_WEB_ROUTES_H_

#include <string>
#include <vector>

#include "httplib.h"
#include "serve/web/server_context.h"

namespace serve::web {

struct ApiRoute {
  std::string method;  // "GET", "POST", "DELETE"
  std::string path;    // OpenAPI form: "/api/v1/analyses/{id}"
};
// Every API route the server registers (pages and assets excluded).
const std::vector<ApiRoute>& ApiRoutes();

void RegisterApiRoutes(httplib::Server& server, ServerContext& context);
void RegisterPageRoutes(httplib::Server& server, ServerContext& context);

// Token, cross-site and (for uploads) Content-Length / queue checks before the body is
// read; Handled when it answered.
httplib::Server::HandlerResponse CheckRequest(ServerContext& context, const httplib::Request& req,
                                              httplib::Response& res);

// Seconds a client should wait when the queue is full (from the mean analysis time).
int RetryAfterSeconds(ServerContext& context, int64_t queued);

// Removes a finished analysis's upload unless --keep_uploads (thumbnail and result stay).
void RemoveUploadUnlessKept(const ServerContext& context, const Analysis& analysis);

// The openapi.json document (embedded from serve/web/openapi.json).
std::string_view OpenApiJson();

}  // namespace serve::web

#endif  // SERVE_WEB_ROUTES_H_
