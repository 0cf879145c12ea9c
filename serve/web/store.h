// The dashboard's durable history and job queue: one interface, two engines. SQLite
// (store_sqlite.cc, WAL mode, versioned schema) is the zero-setup default for one machine; a
// PostgreSQL engine (issue 18: several servers sharing one database, jobs claimed with
// SELECT ... FOR UPDATE SKIP LOCKED) implements the same interface and passes the same tests
// (store_test.cc is written against Store, parameterised by engine).
//
// Contract (every engine):
// - Insert is durable when it returns (the job is recorded before the upload is
//   acknowledged with 202).
// - A job is claimed by exactly one worker at a time: Claim hands out the oldest queued job
//   (created_ms, then id) whose lease is free, and sets state kRunning, worker, attempts+1 and
//   lease_expires_ms = now + lease_ms in one transaction. A running job whose lease expired
//   (its worker died) is claimable again; one that already had max_attempts is marked kFailed
//   with reason "interrupted" instead of being re-run.
// - Finish / Fail / Progress from a worker that no longer holds the lease (another worker
//   re-claimed it) return FailedPrecondition and change nothing: no result is written twice.
//   NotFound when the analysis was deleted meanwhile: the worker stops (its files are gone).
// - A running job whose lease expired with a cancel requested becomes kCanceled, not re-run.
// - Delete removes the row; the caller removes the files (Analysis::dir).
// - Errors name the database file (or URL without password) and the operation.
// - Thread-safe: one Store is shared by the HTTP threads and the workers.
#ifndef SERVE_WEB_STORE_H_
#define SERVE_WEB_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace serve::web {

enum class JobState { kQueued, kRunning, kDone, kFailed, kCanceled };
const char* JobStateName(JobState state);  // "queued", "running", "done", "failed", "canceled"
absl::StatusOr<JobState> ParseJobState(const std::string& name);

struct Analysis {
  std::string id;         // 32 lowercase hex chars (random 128 bits), assigned by the caller
  std::string file_name;  // the upload's sanitised display name (never a path)
  std::string dir;        // data_dir-relative folder of its files: upload, thumbnails
  bool upload_kept = false;     // the uploaded video is still on disk (--keep_uploads)
  int64_t size_bytes = 0;       // of the upload
  std::string content_type;     // sniffed from content ("video/mp4", "video/webm", ...)
  JobState state = JobState::kQueued;
  std::string stage;            // while running: "queued" "decoding" "faces" "scoring" "explaining"
  double progress = 0;          // 0..1 within the whole analysis
  // Set when done (the detection result, serve/api/result_json.h schema, as JSON text):
  std::string verdict;          // "REAL" "FAKE" "UNDETERMINED"; "" until done
  double fake_probability = -1; // -1 when none (undetermined or not done)
  std::string reason;           // undetermined / failure reason code ("no_face", "interrupted",
                                // "canceled", "unreadable", ...); "" otherwise
  std::string message;          // human-readable error or reason message
  std::string result_json;      // "" until done
  std::string thumbnail;        // dir-relative file name of the history thumbnail (PNG), or ""
  int64_t created_ms = 0, started_ms = 0, finished_ms = 0;  // Unix epoch milliseconds; 0 = not yet
  int attempts = 0;             // claims so far
  std::string worker;           // who holds (or last held) it: "host:pid:thread"
  int64_t lease_expires_ms = 0;
};

struct ListQuery {
  std::string name_contains;  // case-insensitive substring of file_name ('%', '_' literal;
                              // SQLite folds ASCII letters only); "" = any
  std::optional<JobState> state;
  std::string verdict;        // "REAL" "FAKE" "UNDETERMINED" or "" = any
  int64_t created_from_ms = 0, created_to_ms = 0;  // inclusive range; 0 = open
  int offset = 0;
  int limit = 20;             // 1..200
};

struct ListPage {
  std::vector<Analysis> items;  // newest first (created_ms desc, then id desc); no result_json
  int64_t total = 0;            // matching the query, ignoring offset/limit
};

struct StoreCounts {  // for /metrics and /healthz
  int64_t queued = 0, running = 0, done = 0, failed = 0, canceled = 0;
  int64_t real = 0, fake = 0, undetermined = 0;  // done, by verdict
};

class Store {
 public:
  virtual ~Store() = default;
  virtual std::string Describe() const = 0;  // "sqlite:/path/db.sqlite3", a URL sans password
  // True when several servers (on several machines) may share this store as their job
  // queue (PostgreSQL): a running job may be another live server's, and another server's
  // progress reaches this one only by reading the store.
  virtual bool SharedByServers() const = 0;

  // AlreadyExists on a used id. created_ms 0 means now; a queued job's empty stage "queued".
  virtual absl::Status Insert(const Analysis& analysis) = 0;
  // NotFound naming the id.
  virtual absl::StatusOr<Analysis> Get(const std::string& id) const = 0;
  virtual absl::StatusOr<ListPage> List(const ListQuery& query) const = 0;
  virtual absl::StatusOr<StoreCounts> Counts() const = 0;
  // 1-based position of a queued job among queued jobs (0 when not queued).
  virtual absl::StatusOr<int64_t> QueuePosition(const std::string& id) const = 0;

  // The next job for `worker`, or nullopt when none is claimable. See the contract above.
  // The claimed job starts at stage "decoding", progress 0, started_ms now.
  virtual absl::StatusOr<std::optional<Analysis>> Claim(const std::string& worker,
                                                        int64_t lease_ms,
                                                        int max_attempts) = 0;
  // Stage/progress of a job `worker` holds; also renews its lease to now + lease_ms.
  virtual absl::Status Progress(const std::string& id, const std::string& worker,
                                const std::string& stage, double progress,
                                int64_t lease_ms) = 0;
  // Done with a result: verdict, fake_probability, reason, message, result_json, thumbnail
  // and upload_kept are taken from `finished`; stage "done", progress 1.
  virtual absl::Status Finish(const std::string& id, const std::string& worker,
                              const Analysis& finished) = 0;
  // Ends it kFailed, or kCanceled when reason is "canceled"; the stage stays where it stopped.
  virtual absl::Status Fail(const std::string& id, const std::string& worker,
                            const std::string& reason, const std::string& message) = 0;
  // A queued job becomes kCanceled at once; a running one is marked to cancel
  // (CancelRequested returns true) and its worker calls Fail(..., "canceled", ...).
  // FailedPrecondition when already finished. CancelRequested is also true once kCanceled.
  virtual absl::Status Cancel(const std::string& id) = 0;
  virtual absl::StatusOr<bool> CancelRequested(const std::string& id) const = 0;

  // At startup of a single-machine server: every kRunning job (its worker was this process,
  // which died) is re-queued, or failed with reason "interrupted" once it had max_attempts,
  // or canceled when a cancel was requested. Returns how many were re-queued.
  // Never called on a database shared by several servers (PostgreSQL): a running job may
  // belong to another live server there. A dead server's jobs are re-run by whichever server
  // claims next once their lease expired (Claim), so they run again at most once per lease
  // expiry and max_attempts bounds the total.
  virtual absl::StatusOr<int> RecoverInterrupted(int max_attempts) = 0;

  // Removes the row (any state; a running job is canceled first). NotFound naming the id.
  virtual absl::Status Delete(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<std::string>> DeleteAll() = 0;  // the ids removed
};

// Opens (creating if needed) the SQLite database at `path`: WAL mode, busy timeout, the
// schema migrated to the current version (schema_version table). Errors name the file
// (not writable, not a database, a newer schema than this binary knows).
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

// Opens the PostgreSQL database at `url` (postgresql://user:password@host:port/db or
// postgres://...; libpq's URI syntax, e.g. ?sslmode=require), creating or migrating the
// schema under an advisory lock. Errors name the URL without its password (connection
// refused, authentication failed, no such database, a newer schema, another program's
// tables). Connections come from a small pool; a dropped connection is reopened.
absl::StatusOr<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url);

// `deepfake serve --database`: "" = SQLite at data_dir/history.sqlite3, a postgresql:// or
// postgres:// URL = PostgreSQL, anything else = a SQLite file path.
absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& database_spec,
                                                 const std::string& data_dir);
bool IsPostgresUrl(const std::string& spec);
// The URL without its password (user:password@ and ?password=...), for logs and errors.
std::string RedactDatabaseUrl(const std::string& url);

int64_t NowMs();  // Unix epoch milliseconds (wall clock)

}  // namespace serve::web

#endif  // SERVE_WEB_STORE_H_
