// GET /api/v1/analyses/{id}/events: Server-Sent Events. `event: progress` with the
// analysis summary JSON whenever it changes, `event: done` (the summary) once it is done,
// failed or canceled (or `event: done` with {"deleted": true} when it is deleted); a
// comment line every 15 s keeps proxies from closing the stream. At most kMaxEventStreams
// streams at once (each holds an HTTP thread); more get 503 + Retry-After. A stream ends
// after 10 minutes (EventSource reconnects) and when the server stops.
#ifndef SERVE_WEB_EVENTS_H_
#define SERVE_WEB_EVENTS_H_

#include "httplib.h"
#include "serve/web/server_context.h"

namespace serve::web {

void StreamEvents(ServerContext& context, const httplib::Request& req, httplib::Response& res);

}  // namespace serve::web

#endif  // SERVE_WEB_EVENTS_H_
