// Server-Sent Events of one analysis's progress.
#include "serve/web/events.h"

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "serve/web/analysis_json.h"
#include "serve/web/http_util.h"

namespace serve::web {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kKeepAlive = std::chrono::milliseconds(15000);
constexpr auto kMaxStreamAge = std::chrono::minutes(10);
// With a database shared by several servers (PostgreSQL), the analysis may run on another
// server, whose progress this one's change notifier never hears of: the stream looks again
// this often.
constexpr auto kSharedPoll = std::chrono::milliseconds(1000);

bool Finished(JobState state) {
  return state == JobState::kDone || state == JobState::kFailed || state == JobState::kCanceled;
}

struct StreamState {
  ServerContext* context;
  std::string id;
  std::string last;  // the summary sent last
  uint64_t seen = 0;
  Clock::time_point start = Clock::now();
  Clock::time_point last_write = Clock::now();
};

bool Send(httplib::DataSink& sink, const std::string& event, const std::string& data) {
  const std::string message = absl::StrCat("event: ", event, "\ndata: ", data, "\n\n");
  return sink.write(message.data(), message.size());
}

}  // namespace

void StreamEvents(ServerContext& context, const httplib::Request& req, httplib::Response& res) {
  const std::string id = req.matches[1];
  if (absl::StatusOr<Analysis> analysis = context.store->Get(id); !analysis.ok()) {
    return SendError(res, absl::IsNotFound(analysis.status()) ? 404 : 500,
                     std::string(analysis.status().message()));
  }
  if (context.event_streams.fetch_add(1) >= kMaxEventStreams) {
    context.event_streams.fetch_sub(1);
    res.set_header("Retry-After", "5");
    return SendError(res, 503,
                     absl::StrCat("too many event streams open (", kMaxEventStreams,
                                  "); poll GET /api/v1/analyses/", id, " instead"));
  }
  auto state = std::make_shared<StreamState>();
  state->context = &context;
  state->id = id;
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      "text/event-stream",
      [state](size_t, httplib::DataSink& sink) {
        ServerContext& context = *state->context;
        const uint64_t version = context.changes.version();
        absl::StatusOr<Analysis> analysis = context.store->Get(state->id);
        if (!analysis.ok()) {
          Send(sink, "done", R"({"id":")" + state->id + R"(","deleted":true})");
          sink.done();
          return true;
        }
        int64_t position = 0;
        if (analysis->state == JobState::kQueued) {
          absl::StatusOr<int64_t> p = context.store->QueuePosition(state->id);
          if (p.ok()) position = *p;
        }
        const std::string summary = SummaryJson(*analysis, position).dump();
        if (Finished(analysis->state)) {
          if (summary != state->last) Send(sink, "progress", summary);
          Send(sink, "done", summary);
          sink.done();
          return true;
        }
        if (summary != state->last) {
          if (!Send(sink, "progress", summary)) return false;
          state->last = summary;
          state->last_write = Clock::now();
        }
        if (context.changes.shut_down() || Clock::now() - state->start > kMaxStreamAge) {
          sink.done();
          return true;
        }
        if (!sink.is_writable()) return false;
        const uint64_t now = context.changes.WaitForChange(
            version, context.store->SharedByServers() ? kSharedPoll : kKeepAlive);
        if (now == version && Clock::now() - state->last_write >= kKeepAlive) {
          const std::string comment = ": keep-alive\n\n";
          if (!sink.write(comment.data(), comment.size())) return false;
          state->last_write = Clock::now();
        }
        return true;
      },
      [&context](bool) { context.event_streams.fetch_sub(1); });
}

}  // namespace serve::web
