// The serve subcommand: flags -> ServeOptions -> serve::web::Server; prints the URL, then
// waits for SIGINT / SIGTERM (blocked in every thread, taken with sigwait) and stops.
#include "serve/serve_command.h"

#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "serve/detector_flags.h"
#include "serve/shipped_model.h"
#include "serve/web/server.h"
#include "serve/web/store.h"

namespace serve {
namespace {

constexpr char kCommand[] = "deepfake serve";
constexpr int kStopGraceSeconds = 5;

class ServeCommand : public cli::Command {
 public:
  std::string name() const override { return "serve"; }
  std::string summary() const override {
    return "the web dashboard: drop videos in a browser, see verdicts, timelines and history "
           "(REST API at /api/v1)";
  }
  std::string usage() const override {
    return "[--port=8080] [--model_path=CKPT] [--data_dir=DIR] [flags]";
  }
  std::string Details() const override {
    return "Open the printed URL in a browser. Uploads, thumbnails and the history database "
           "(history.sqlite3, SQLite in WAL mode) live in --data_dir; analyses queued or "
           "running when the server stops (or crashes) are run again at the next start. The "
           "REST API is described at /api/v1/openapi.json (serve/web/API.md). Several servers "
           "(on several machines) can share one PostgreSQL database (--database "
           "postgresql://...) and one --data_dir on a shared filesystem.\n\n"
           "Examples:\n\n"
           "  deepfake serve --model_path=best.safetensors\n"
           "  deepfake serve --port 9000 --data_dir /srv/deepfake --keep_uploads "
           "--api_token $(cat token)\n"
           "  deepfake serve --host 0.0.0.0 --api_token $(cat token) --data_dir /mnt/nfs/deepfake "
           "--database postgresql://deepfake:PASSWORD@db:5432/deepfake\n"
           "  curl -F file=@clip.mp4 http://127.0.0.1:8080/api/v1/analyses";
  }

  void DefineFlags(cli::FlagSet& flags) override {
    flags.Int("port", &options_.port, "TCP port to listen on (0 = any free port)");
    flags.String("host", &options_.host,
                 "address to listen on (127.0.0.1 = this machine only; 0.0.0.0 = every "
                 "interface: set --api_token then)");
    flags.Path("data_dir", &options_.data_dir,
               "uploads, thumbnails and history.sqlite3 (\"\" = ~/.local/share/deepfake)");
    flags.Path("model_path", &options_.model_path,
               "the checkpoint (\"\" = $DEEPFAKE_MODEL or the shipped model)");
    flags.String("database", &options_.database,
                 "\"\" = SQLite at DATA_DIR/history.sqlite3, a SQLite file path, or "
                 "postgresql://user:password@host:port/db: several servers sharing one "
                 "PostgreSQL (and one --data_dir on a shared filesystem)");
    flags.Int64("lease_seconds", &lease_seconds_,
                "a running analysis whose server stops renewing it (crash, kill -9) for this "
                "long is run again by another server (PostgreSQL; at least 1)");
    flags.Bool("keep_uploads", &options_.keep_uploads,
               "keep uploaded videos for playback (else deleted once analysed; thumbnails and "
               "results are kept)");
    flags.Int64("max_upload_mb", &max_upload_mb_, "the most one upload request may carry, in MB");
    flags.Int("workers", &options_.workers, "analyses run at once");
    flags.Int("queue_capacity", &options_.queue_capacity,
              "queued analyses at most; more uploads get 503 + Retry-After");
    flags.Int("http_threads", &options_.http_threads, "threads answering HTTP requests");
    flags.Int("max_attempts", &options_.max_attempts,
              "an analysis interrupted (crash, kill -9) this many times is failed with reason "
              "'interrupted' instead of run again");
    flags.String("api_token", &options_.api_token,
                 "require this token (Authorization: Bearer, or the login page); \"\" = open");
    flags.Bool("explain", &options_.explain, "Grad-CAM heatmaps for every face track");
    flags.Double("confidence_threshold", &threshold_,
                 "P(fake) at or above which a video is FAKE (negative = the checkpoint's)");
    flags.Int("batch_size", &options_.detector.batch_size, "face tracks per forward pass");
    flags.Path("landmark_model", &options_.detector.landmark_model_path,
               "shape_predictor_68_face_landmarks.dat (\"\" = the libdlib-data install)");
    common_.Define(flags, kServeCommonFlags);
  }

  int Run(const std::vector<std::string>&, std::ostream& out, std::ostream& err) override {
    if (options_.port < 0 || options_.port > 65535) {
      return Usage(absl::StrCat("--port must be 0 to 65535 (got ", options_.port, ")"), err);
    }
    if (max_upload_mb_ < 1 || max_upload_mb_ > (int64_t{1} << 20)) {
      return Usage(absl::StrCat("--max_upload_mb must be 1 to 1048576 (got ", max_upload_mb_, ")"),
                   err);
    }
    for (const auto& [flag, value] : {std::pair<const char*, int>{"--workers", options_.workers},
                                      {"--queue_capacity", options_.queue_capacity},
                                      {"--http_threads", options_.http_threads},
                                      {"--max_attempts", options_.max_attempts}}) {
      if (value < 1) return Usage(absl::StrCat(flag, " must be >= 1 (got ", value, ")"), err);
    }
    absl::StatusOr<cli::CommonFlags::Applied> applied = common_.Apply(kServeCommonFlags);
    if (!applied.ok()) return Usage(std::string(applied.status().message()), err);
    if (lease_seconds_ < 1 || lease_seconds_ > 86400) {
      return Usage(absl::StrCat("--lease_seconds must be 1 to 86400 (got ", lease_seconds_, ")"),
                   err);
    }
    options_.lease_ms = lease_seconds_ * 1000;
    options_.max_upload_bytes = max_upload_mb_ * 1000 * 1000;
    ApplyCommonDetectorFlags(common_, &options_.detector);
    options_.detector.threshold = threshold_;

    // SIGINT / SIGTERM are blocked here, so every thread the server starts inherits the
    // mask, and this thread takes them with sigwait.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigset_t previous;
    pthread_sigmask(SIG_BLOCK, &signals, &previous);
    absl::StatusOr<std::unique_ptr<web::Server>> server = web::Server::Create(options_);
    if (!server.ok()) {
      pthread_sigmask(SIG_SETMASK, &previous, nullptr);
      err << kCommand << ": " << server.status().message() << "\n";
      return cli::kExitFailure;
    }
    if (absl::Status started = (*server)->Start(); !started.ok()) {
      pthread_sigmask(SIG_SETMASK, &previous, nullptr);
      err << kCommand << ": " << started.message() << "\n";
      return cli::kExitFailure;
    }
    out << "deepfake dashboard: " << (*server)->url() << "/" << std::endl;
    err << absl::StrFormat(
        "%s: data in %s; %d worker(s), queue of %d, uploads up to %d MB%s%s. Ctrl-C stops.\n",
        kCommand, options_.data_dir.empty() ? "~/.local/share/deepfake" : options_.data_dir,
        options_.workers, options_.queue_capacity, max_upload_mb_,
        options_.keep_uploads ? ", uploads kept" : "",
        options_.api_token.empty() ? "" : ", token required");
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    err << kCommand << ": " << (signal_number == SIGINT ? "interrupted" : "terminated")
        << ", stopping (running analyses will run again "
        << (web::IsPostgresUrl(options_.database) ? "once their lease expires"
                                                  : "at the next start")
        << ")\n";
    // A worker inside one frame's face finding (the CNN detector) cannot be interrupted;
    // past the grace period the process exits without waiting, which the store survives
    // like a crash (the analysis runs again at the next start).
    std::mutex mutex;
    std::condition_variable stopped_changed;
    bool stopped = false;
    std::thread stopper([&] {
      (*server)->Stop();
      std::lock_guard<std::mutex> lock(mutex);
      stopped = true;
      stopped_changed.notify_all();
    });
    {
      std::unique_lock<std::mutex> lock(mutex);
      if (!stopped_changed.wait_for(lock, std::chrono::seconds(kStopGraceSeconds),
                                    [&] { return stopped; })) {
        err << kCommand << ": an analysis is still finishing a frame; exiting without it\n";
        std::_Exit(cli::kExitOk);
      }
    }
    stopper.join();
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    err << kCommand << ": stopped\n";
    return cli::kExitOk;
  }

 private:
  int Usage(const std::string& message, std::ostream& err) const {
    err << kCommand << ": " << message << "\nusage: " << kCommand << " " << usage() << "\n";
    return cli::kExitUsage;
  }

  web::ServeOptions options_;
  int64_t max_upload_mb_ = 512;
  int64_t lease_seconds_ = 60;
  double threshold_ = -1;
  cli::CommonFlags common_;
};

}  // namespace

std::unique_ptr<cli::Command> MakeServeCommand() { return std::make_unique<ServeCommand>(); }

}  // namespace serve
