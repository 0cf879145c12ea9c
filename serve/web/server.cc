// Server: opens the store (recovering interrupted jobs, tidying files a crash left), loads
// the model, wires httplib (checks, routes, error bodies, security headers, metrics) and
// runs the worker pool.
#include "serve/web/server.h"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "httplib.h"
#include "serve/shipped_model.h"
#include "serve/web/http_util.h"
#include "serve/web/routes.h"
#include "serve/web/server_context.h"
#include "serve/web/upload.h"
#include "serve/web/worker_pool.h"

namespace serve::web {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<std::string> ResolveDataDir(const std::string& given) {
  std::string dir = given;
  if (dir.empty()) {
    const char* home = std::getenv("HOME");
    if (home == nullptr || *home == '\0') {
      return absl::InvalidArgumentError("--data_dir is needed: $HOME is not set");
    }
    dir = absl::StrCat(home, "/.local/share/deepfake");
  }
  std::error_code error;
  fs::create_directories(fs::path(dir) / "analyses", error);
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat("data_dir ", dir, ": cannot create it: ", error.message()));
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    return absl::PermissionDeniedError(absl::StrCat("data_dir ", dir, ": not writable"));
  }
  return fs::absolute(dir).lexically_normal().string();
}

// Folders under data_dir/analyses with no row (an upload cut by a crash; with a shared
// database, only those untouched for 6 hours) are removed, and
// the uploads of finished analyses that were not to be kept (a crash between storing the
// result and deleting the upload).
void TidyDataDir(ServerContext& context) {
  std::error_code error;
  const bool shared = context.store->SharedByServers();
  const fs::file_time_type stale_before = fs::file_time_type::clock::now() - std::chrono::hours(6);
  for (const fs::directory_entry& entry :
       fs::directory_iterator(fs::path(context.options.data_dir) / "analyses", error)) {
    const std::string id = entry.path().filename().string();
    absl::StatusOr<Analysis> analysis = context.store->Get(id);
    if (!analysis.ok()) {
      // With a shared data_dir, another server may be receiving that upload right now
      // (its row is inserted once the upload is complete): only old leftovers go.
      if (absl::IsNotFound(analysis.status()) && IsAnalysisId(id) &&
          (!shared || fs::last_write_time(entry.path(), error) < stale_before)) {
        fs::remove_all(entry.path(), error);
      }
      continue;
    }
    const bool finished = analysis->state == JobState::kDone ||
                          analysis->state == JobState::kFailed ||
                          analysis->state == JobState::kCanceled;
    if (finished && !analysis->upload_kept) {
      fs::remove(entry.path() / UploadFileName(analysis->content_type), error);
    }
  }
}

}  // namespace

struct Server::State {
  ServerContext context;
  httplib::Server http;
  std::unique_ptr<WorkerPool> workers;
  std::thread listener;
  int port = 0;
  std::mutex mutex;
  std::condition_variable stopped_changed;
  bool started = false, stopped = false;
};

Server::Server(std::unique_ptr<State> state) : state_(std::move(state)) {}

Server::~Server() { Stop(); }

absl::StatusOr<std::unique_ptr<Server>> Server::Create(const ServeOptions& given) {
  if (given.workers < 1 || given.http_threads < 1 || given.queue_capacity < 1 ||
      given.max_upload_bytes < 1 || given.max_attempts < 1 || given.lease_ms < 1000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "workers, http_threads, queue_capacity, max_upload_bytes, max_attempts must be >= 1 "
        "and lease_ms >= 1000 (got ",
        given.workers, ", ", given.http_threads, ", ", given.queue_capacity, ", ",
        given.max_upload_bytes, ", ", given.max_attempts, ", ", given.lease_ms, ")"));
  }
  auto state = std::make_unique<State>();
  ServerContext& context = state->context;
  context.options = given;
  ServeOptions& options = context.options;
  ASSIGN_OR_RETURN(options.data_dir, ResolveDataDir(given.data_dir));
  ASSIGN_OR_RETURN(context.store, OpenStore(options.database, options.data_dir));
  if (context.store->SharedByServers()) {
    // Shared by several servers: a running job may be another live server's. A dead
    // server's jobs are claimed again once their lease expires (Store::Claim).
    std::cerr << "deepfake serve: shared database " << context.store->Describe()
              << "; interrupted analyses run again once their lease (" << options.lease_ms / 1000
              << " s) expires\n";
  } else {
    absl::StatusOr<int> requeued = context.store->RecoverInterrupted(options.max_attempts);
    if (!requeued.ok()) return requeued.status();
    if (*requeued > 0) {
      std::cerr << "deepfake serve: " << *requeued << " interrupted analyses queued again\n";
    }
  }
  TidyDataDir(context);

  if (options.model_path.empty()) {
    ASSIGN_OR_RETURN(options.model_path, serve::FindShippedModel());
  }
  absl::StatusOr<std::unique_ptr<serve::Detector>> detector =
      serve::Detector::Load(options.model_path, options.detector);
  if (!detector.ok()) return detector.status();
  context.detector = *std::move(detector);

  httplib::Server& http = state->http;
  const size_t threads = static_cast<size_t>(options.http_threads + kMaxEventStreams);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(
      static_cast<size_t>(options.max_upload_bytes + kMultipartOverheadBytes));
  http.set_read_timeout(30, 0);
  http.set_write_timeout(30, 0);
  httplib::Headers headers;
  for (const auto& [name, value] : SecurityHeaders()) headers.emplace(name, value);
  http.set_default_headers(headers);
  http.set_pre_routing_handler([&context](const httplib::Request& req, httplib::Response& res) {
    return CheckRequest(context, req, res);
  });
  // curl sends "Expect: 100-continue" before a large body: answer 413/503/401 before it.
  http.set_expect_100_continue_handler(
      [&context](const httplib::Request& req, httplib::Response& res) {
        if (CheckRequest(context, req, res) == httplib::Server::HandlerResponse::Handled) {
          res.set_header("Connection", "close");
          return res.status;
        }
        return 100;
      });
  http.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty() || res.status == 304)
          return httplib::Server::HandlerResponse::Unhandled;
        SendError(res, res.status,
                  res.status == 404 ? absl::StrCat("no such resource: ", req.method, " ", req.path)
                                    : absl::StrCat(req.method, " ", req.path, " failed"));
        return httplib::Server::HandlerResponse::Handled;
      }));
  http.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
        SendError(res, 500, absl::StrCat(req.method, " ", req.path, ": internal error"));
      });
  // Counted before the response is written (httplib's logger runs after it), so a client
  // that reads /metrics right after a response sees that response counted.
  http.set_post_routing_handler([&context](const httplib::Request&, httplib::Response& res) {
    context.metrics.RecordRequest(res.status);
  });
  RegisterApiRoutes(http, context);
  RegisterPageRoutes(http, context);

  if (options.port == 0) {
    state->port = http.bind_to_any_port(options.host);
  } else {
    state->port = http.bind_to_port(options.host, options.port) ? options.port : -1;
  }
  if (state->port <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.host, ":", options.port,
                                               " (in use, or not an address of this machine)"));
  }
  WorkerOptions worker_options;
  worker_options.data_dir = options.data_dir;
  worker_options.workers = options.workers;
  worker_options.keep_uploads = options.keep_uploads;
  worker_options.explain = options.explain;
  worker_options.lease_ms = options.lease_ms;
  worker_options.max_attempts = options.max_attempts;
  state->workers = std::make_unique<WorkerPool>(*context.store, *context.detector, worker_options,
                                                context.metrics, context.changes);
  context.workers = state->workers.get();
  return std::unique_ptr<Server>(new Server(std::move(state)));
}

absl::Status Server::Start() {
  State& s = *state_;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.started) return absl::FailedPreconditionError("the server is already started");
    s.started = true;
  }
  s.workers->Start();
  s.listener = std::thread([&s] { s.http.listen_after_bind(); });
  while (!s.http.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  return absl::OkStatus();
}

void Server::Wait() {
  std::unique_lock<std::mutex> lock(state_->mutex);
  state_->stopped_changed.wait(lock, [&] { return state_->stopped || !state_->started; });
}

void Server::Stop() {
  State& s = *state_;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.stopped) return;
    s.stopped = true;
  }
  if (s.workers) s.workers->Stop();  // running analyses stay "running": re-run at next start
  s.context.changes.Shutdown();      // event streams end
  s.http.stop();
  if (s.listener.joinable()) s.listener.join();
  s.stopped_changed.notify_all();
}

int Server::port() const { return state_->port; }

std::string Server::url() const {
  std::string host = state_->context.options.host;
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = absl::StrCat("[", host, "]");
  return absl::StrCat("http://", host, ":", state_->port);
}

}  // namespace serve::web
