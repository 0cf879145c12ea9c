// `deepfake serve`: the web dashboard and its REST API (serve/web/API.md) on cpp-httplib,
// backed by a Store (store.h) for history and the job queue, and serve::Detector for the
// analyses (the same results as `deepfake detect`).
//
// Threads: httplib's pool answers requests; `workers` analysis threads claim jobs from the
// store (a bounded queue: `queue_capacity` queued jobs at most, then 503 + Retry-After).
// Uploads stream to data_dir (never held whole in memory).
#ifndef SERVE_WEB_SERVER_H_
#define SERVE_WEB_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "serve/api/detector.h"

namespace serve::web {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                 // 0 = any free port (tests); Server::port() says which
  std::string data_dir;            // uploads, thumbnails, history.sqlite3; "" = ~/.local/share/deepfake
  std::string database;            // "" = sqlite at data_dir/history.sqlite3; or a postgresql:// URL (issue 18)
  std::string model_path;          // "" = the shipped model (serve/shipped_model.h)
  serve::DetectorOptions detector;  // device, frames, threshold, face detector, ...
  bool explain = true;             // Grad-CAM heatmaps for every track
  bool keep_uploads = false;       // keep the uploaded video for playback (else deleted once analysed)
  int64_t max_upload_bytes = 512ll << 20;
  int workers = 1;                 // analysis threads
  int http_threads = 8;
  int queue_capacity = 64;         // queued jobs before 503
  int max_attempts = 2;            // a job interrupted this many times is failed, not re-run
  int64_t lease_ms = 60000;        // worker lease, renewed with every progress update
  std::string api_token;           // "" = open; else required (Bearer header or cookie from /login)
};

class Server {
 public:
  // Opens the store (recovering interrupted jobs), loads the model, binds the socket.
  // Errors name what failed (data_dir not writable, model missing, port in use).
  static absl::StatusOr<std::unique_ptr<Server>> Create(const ServeOptions& options);
  ~Server();  // Stop()s

  absl::Status Start();  // starts workers and the HTTP listener; returns once listening
  void Wait();           // until Stop() or SIGINT/SIGTERM handled by the command
  void Stop();           // stops accepting, lets running analyses finish or re-queue them
  int port() const;
  std::string url() const;  // "http://127.0.0.1:PORT"

 private:
  struct State;
  explicit Server(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace serve::web

#endif  // SERVE_WEB_SERVER_H_
