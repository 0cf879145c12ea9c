// The SQLite engine of store.h: one file (with its -wal and -shm companions), the dashboard's
// history and job queue for one machine.
//
// Schema (version 1; the migrations below are an ordered list: opening applies the missing
// ones in order, in one transaction, each recorded in schema_version):
//   schema_version(version INTEGER PRIMARY KEY, applied_ms)  one row per applied migration;
//                                         the schema's version is MAX(version)
//   analyses(id TEXT PRIMARY KEY, file_name, dir, upload_kept, size_bytes, content_type,
//            state TEXT CHECK IN (queued, running, done, failed, canceled), stage, progress,
//            verdict, fake_probability, reason, message, thumbnail, created_ms, started_ms,
//            finished_ms, attempts, worker, lease_expires_ms, cancel_requested)
//            one row per analysis: the Analysis record less result_json, plus the cancel flag
//   results(id TEXT PRIMARY KEY REFERENCES analyses ON DELETE CASCADE, result_json)
//            the detection result (large: PNG data URIs), apart so that list scans stay small
//   indexes: analyses(created_ms DESC, id DESC)           history, newest first
//            analyses(verdict, created_ms DESC, id DESC)  history filtered by verdict
//            analyses(state, created_ms, id)              queue order, claims, counts, state filter
// The name search (file_name LIKE '%q%' ESCAPE '\', case-insensitive for ASCII as SQLite's
// LIKE is) cannot use an index for a substring; it filters while walking one of the above.
//
// Connection settings:
//   journal_mode=WAL     readers never block the writer; a crash leaves committed
//                        transactions in the -wal file, replayed by the next open.
//   synchronous=FULL     every commit fsyncs the WAL before it returns. NORMAL would already
//                        survive kill -9 of the process (a commit is in the OS's page cache,
//                        which outlives the process); FULL also survives power loss and OS
//                        crashes, so "recorded before acknowledged" (202) holds there too.
//                        It costs one fsync per write (~5 ms on this project's VM disk:
//                        store_benchmark), a few per analysis against seconds of detection.
//                        Progress updates alone commit with NORMAL (they are the most
//                        frequent writes, and one lost to a power cut costs nothing).
//   busy_timeout=5000    another process's write (a second server on the same file, the
//                        sqlite3 shell) is waited for up to 5 s, not answered with an error.
//   foreign_keys=ON      results rows go with their analysis.
// Writes that read-then-write (Claim, Finish, Cancel, ...) run in BEGIN IMMEDIATE
// transactions: the write lock is taken first, so two processes never both claim one job.
// Threads: two connections, each used under its own mutex: the writer (every write, and the
// reads inside write transactions) and a query_only reader (Get, List, Counts, ...), so
// the history and progress polls never wait behind a commit's fsync.
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "serve/web/store.h"

namespace serve::web {
namespace {

constexpr int kBusyTimeoutMs = 5000;
constexpr char kSynchronous[] = "PRAGMA synchronous = FULL";  // see the top of the file

// The migrations, in order: kMigrations[i] brings the schema from version i to i + 1.
// Append only; never edit a released one (databases in the field already ran it).
const std::vector<const char*>& Migrations() {
  static const auto* migrations = new std::vector<const char*>{
      // Version 1: analyses, results and the list/queue indexes.
      R"sql(
        CREATE TABLE analyses (
          id TEXT PRIMARY KEY NOT NULL,
          file_name TEXT NOT NULL,
          dir TEXT NOT NULL,
          upload_kept INTEGER NOT NULL DEFAULT 0,
          size_bytes INTEGER NOT NULL DEFAULT 0,
          content_type TEXT NOT NULL DEFAULT '',
          state TEXT NOT NULL
            CHECK (state IN ('queued', 'running', 'done', 'failed', 'canceled')),
          stage TEXT NOT NULL DEFAULT '',
          progress REAL NOT NULL DEFAULT 0,
          verdict TEXT NOT NULL DEFAULT '',
          fake_probability REAL NOT NULL DEFAULT -1,
          reason TEXT NOT NULL DEFAULT '',
          message TEXT NOT NULL DEFAULT '',
          thumbnail TEXT NOT NULL DEFAULT '',
          created_ms INTEGER NOT NULL,
          started_ms INTEGER NOT NULL DEFAULT 0,
          finished_ms INTEGER NOT NULL DEFAULT 0,
          attempts INTEGER NOT NULL DEFAULT 0,
          worker TEXT NOT NULL DEFAULT '',
          lease_expires_ms INTEGER NOT NULL DEFAULT 0,
          cancel_requested INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE results (
          id TEXT PRIMARY KEY NOT NULL REFERENCES analyses (id) ON DELETE CASCADE,
          result_json TEXT NOT NULL
        );
        CREATE INDEX analyses_by_created ON analyses (created_ms DESC, id DESC);
        CREATE INDEX analyses_by_verdict ON analyses (verdict, created_ms DESC, id DESC);
        CREATE INDEX analyses_by_state ON analyses (state, created_ms, id);
      )sql",
  };
  return *migrations;
}

// The analyses columns in the order ReadAnalysis reads them (prefixed "a.").
constexpr char kColumns[] =
    "a.id, a.file_name, a.dir, a.upload_kept, a.size_bytes, a.content_type, a.state, a.stage, "
    "a.progress, a.verdict, a.fake_probability, a.reason, a.message, a.thumbnail, "
    "a.created_ms, a.started_ms, a.finished_ms, a.attempts, a.worker, a.lease_expires_ms";
constexpr int kNumColumns = 20;

absl::StatusCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::StatusCode::kUnavailable;
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return absl::StatusCode::kResourceExhausted;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return absl::StatusCode::kPermissionDenied;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::StatusCode::kDataLoss;
    case SQLITE_CONSTRAINT:
      return absl::StatusCode::kAlreadyExists;
    case SQLITE_CANTOPEN:
      return absl::StatusCode::kFailedPrecondition;
    default:
      return absl::StatusCode::kInternal;
  }
}

// A prepared statement; binds are 1-based as in SQLite.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) {
    rc_ = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  int prepare_rc() const { return rc_; }
  Statement& Bind(int i, const std::string& text) {
    sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Bind(int i, const char* text) { return Bind(i, std::string(text)); }
  Statement& Bind(int i, int64_t value) {
    sqlite3_bind_int64(stmt_, i, value);
    return *this;
  }
  Statement& Bind(int i, int value) { return Bind(i, static_cast<int64_t>(value)); }
  Statement& Bind(int i, bool value) { return Bind(i, static_cast<int64_t>(value ? 1 : 0)); }
  Statement& Bind(int i, double value) {
    sqlite3_bind_double(stmt_, i, value);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return rc_ != SQLITE_OK ? rc_ : sqlite3_step(stmt_); }

  std::string Text(int i) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
    return text == nullptr ? std::string() : std::string(text, sqlite3_column_bytes(stmt_, i));
  }
  int64_t Int(int i) const { return sqlite3_column_int64(stmt_, i); }
  double Double(int i) const { return sqlite3_column_double(stmt_, i); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

std::string Dirname(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// "%q%" for LIKE ... ESCAPE '\': the user's %, _ and \ match themselves.
std::string LikePattern(const std::string& contains) {
  std::string pattern = "%";
  for (char c : contains) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  pattern += '%';
  return pattern;
}

// One SQLite connection and the mutex that serialises its use (a connection is used by
// one thread at a time). Errors read "sqlite:PATH: OP: SQLite's message".
class Connection {
 public:
  Connection(std::string describe, sqlite3* db) : describe_(std::move(describe)), db_(db) {}
  ~Connection() { sqlite3_close_v2(db_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }
  std::mutex& mu() const { return mu_; }
  const std::string& describe() const { return describe_; }

  // Call with mu() held, right after the failing call.
  absl::Status Error(int rc, const std::string& op) const {
    std::string message = sqlite3_errmsg(db_);
    if ((rc & 0xff) == SQLITE_NOTADB) {
      message = absl::StrCat("not a SQLite database (", message, ")");
    } else if ((rc & 0xff) == SQLITE_BUSY) {
      absl::StrAppend(&message, " (another process held it for over ", kBusyTimeoutMs, " ms)");
    }
    return absl::Status(CodeFor(rc), absl::StrCat(describe_, ": ", op, ": ", message));
  }
  // Runs SQL without results (several statements allowed).
  absl::Status Exec(const char* sql, const std::string& op) const {
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    return rc == SQLITE_OK ? absl::OkStatus() : Error(rc, op);
  }
  // Steps a statement that returns no rows (or ignores them); the number of rows changed.
  absl::StatusOr<int> Run(Statement& statement, const std::string& op) const {
    const int rc = statement.Step();
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return Error(rc, op);
    return sqlite3_changes(db_);
  }
  // The next row: true, false at the end, or the error.
  absl::StatusOr<bool> NextRow(Statement& statement, const std::string& op) const {
    const int rc = statement.Step();
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return Error(rc, op);
  }

 private:
  const std::string describe_;
  sqlite3* const db_;
  mutable std::mutex mu_;
};

// A transaction on a connection (its mutex held): BEGIN IMMEDIATE (takes the write lock
// now) or BEGIN (a read snapshot); rolled back unless Commit() succeeded.
class Transaction {
 public:
  Transaction(const Connection& connection, bool write) : connection_(connection), write_(write) {}
  ~Transaction() {
    if (open_) sqlite3_exec(connection_.db(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  absl::Status Begin(const std::string& op) {
    RETURN_IF_ERROR(connection_.Exec(write_ ? "BEGIN IMMEDIATE" : "BEGIN", op));
    open_ = true;
    return absl::OkStatus();
  }
  absl::Status Commit(const std::string& op) {
    RETURN_IF_ERROR(connection_.Exec("COMMIT", op));
    open_ = false;
    return absl::OkStatus();
  }

 private:
  const Connection& connection_;
  const bool write_;
  bool open_ = false;
};

// The writer's settings, then the schema migrated to the latest version in one
// transaction (two processes opening a new file at once migrate it once).
absl::Status Migrate(const Connection& c) {
  std::lock_guard<std::mutex> lock(c.mu());
  const std::string op = "open";
  {
    // The first statement that reads the file: a non-database fails here.
    Statement wal(c.db(), "PRAGMA journal_mode = WAL");
    const int rc = wal.Step();
    if (rc != SQLITE_ROW) return c.Error(rc, op);
    if (wal.Text(0) != "wal") {
      return absl::FailedPreconditionError(
          absl::StrCat(c.describe(), ": ", op, ": cannot use WAL mode (journal mode stays '",
                       wal.Text(0), "'; is it on a network filesystem?)"));
    }
  }
  RETURN_IF_ERROR(c.Exec(kSynchronous, op));
  RETURN_IF_ERROR(c.Exec("PRAGMA foreign_keys = ON; PRAGMA journal_size_limit = 67108864", op));

  Transaction transaction(c, /*write=*/true);
  RETURN_IF_ERROR(transaction.Begin(op));
  int64_t tables = 0, has_version_table = 0;
  {
    Statement count(c.db(),
                    "SELECT COUNT(*), SUM(name = 'schema_version') FROM sqlite_master "
                    "WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
    ASSIGN_OR_RETURN(const bool row, c.NextRow(count, op));
    if (row) {
      tables = count.Int(0);
      has_version_table = count.Int(1);
    }
  }
  if (tables > 0 && has_version_table == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(c.describe(), ": ", op,
                     ": a SQLite database of something else (it has tables but no "
                     "schema_version); give the dashboard its own file"));
  }
  RETURN_IF_ERROR(
      c.Exec("CREATE TABLE IF NOT EXISTS schema_version ("
             "version INTEGER PRIMARY KEY NOT NULL, applied_ms INTEGER NOT NULL)",
             op));
  int64_t version = 0;
  {
    Statement get(c.db(), "SELECT COALESCE(MAX(version), 0) FROM schema_version");
    ASSIGN_OR_RETURN(const bool row, c.NextRow(get, op));
    if (row) version = get.Int(0);
  }
  const int64_t known = static_cast<int64_t>(Migrations().size());
  if (version > known) {
    return absl::FailedPreconditionError(
        absl::StrCat(c.describe(), ": ", op, ": the database has schema version ", version,
                     "; this binary knows versions up to ", known,
                     " (a newer deepfake wrote it: run that version, or use another --data_dir)"));
  }
  for (int64_t v = version; v < known; ++v) {
    const std::string migrate_op = absl::StrCat("migrate the schema to version ", v + 1);
    RETURN_IF_ERROR(c.Exec(Migrations()[v], migrate_op));
    Statement record(c.db(), "INSERT INTO schema_version (version, applied_ms) VALUES (?, ?)");
    record.Bind(1, v + 1).Bind(2, NowMs());
    RETURN_IF_ERROR(c.Run(record, migrate_op).status());
  }
  return transaction.Commit(op);
}

class SqliteStore : public Store {
 public:
  SqliteStore(std::string path, std::unique_ptr<Connection> writer,
              std::unique_ptr<Connection> reader)
      : path_(std::move(path)), writer_(std::move(writer)), reader_(std::move(reader)) {}
  ~SqliteStore() override {
    std::lock_guard<std::mutex> lock(writer_->mu());
    sqlite3_exec(writer_->db(), "PRAGMA optimize", nullptr, nullptr, nullptr);
  }

  std::string Describe() const override { return absl::StrCat("sqlite:", path_); }
  bool SharedByServers() const override { return false; }

  absl::Status Insert(const Analysis& analysis) override;
  absl::StatusOr<Analysis> Get(const std::string& id) const override;
  absl::StatusOr<ListPage> List(const ListQuery& query) const override;
  absl::StatusOr<StoreCounts> Counts() const override;
  absl::StatusOr<int64_t> QueuePosition(const std::string& id) const override;
  absl::StatusOr<std::optional<Analysis>> Claim(const std::string& worker, int64_t lease_ms,
                                                int max_attempts) override;
  absl::Status Progress(const std::string& id, const std::string& worker, const std::string& stage,
                        double progress, int64_t lease_ms) override;
  absl::Status Finish(const std::string& id, const std::string& worker,
                      const Analysis& finished) override;
  absl::Status Fail(const std::string& id, const std::string& worker, const std::string& reason,
                    const std::string& message) override;
  absl::Status Cancel(const std::string& id) override;
  absl::StatusOr<bool> CancelRequested(const std::string& id) const override;
  absl::StatusOr<int> RecoverInterrupted(int max_attempts) override;
  absl::Status Delete(const std::string& id) override;
  absl::StatusOr<std::vector<std::string>> DeleteAll() override;

 private:
  absl::Status NotFound(const std::string& id, const std::string& op) const {
    return absl::NotFoundError(
        absl::StrCat(Describe(), ": ", op, ": no analysis with id '", id, "'"));
  }

  absl::StatusOr<Analysis> ReadAnalysis(const Statement& row) const;
  // On `c`, its mutex held.
  absl::StatusOr<std::optional<Analysis>> GetLocked(const Connection& c, const std::string& id,
                                                    bool with_result, const std::string& op) const;
  // Why `worker` may not change job `id` (NotFound / FailedPrecondition), after an UPDATE
  // guarded by state = 'running' AND worker = ? changed nothing.
  absl::Status NotHeld(const std::string& id, const std::string& worker,
                       const std::string& op) const;
  // Ends running jobs that cannot run again: the cancel-requested ones become canceled,
  // those with max_attempts claims failed "interrupted". `only_expired_before_ms` > 0 limits
  // it to leases expired by then (Claim); 0 = every running job (RecoverInterrupted).
  absl::Status EndUnrunnable(int64_t now_ms, int64_t only_expired_before_ms, int max_attempts,
                             const std::string& op);

  const std::string path_;
  // Writes go through writer_, reads through reader_: with WAL, a reader sees every
  // committed write and never waits for a commit's fsync.
  std::unique_ptr<Connection> writer_, reader_;
};

absl::StatusOr<Analysis> SqliteStore::ReadAnalysis(const Statement& row) const {
  Analysis a;
  a.id = row.Text(0);
  a.file_name = row.Text(1);
  a.dir = row.Text(2);
  a.upload_kept = row.Int(3) != 0;
  a.size_bytes = row.Int(4);
  a.content_type = row.Text(5);
  absl::StatusOr<JobState> state = ParseJobState(row.Text(6));
  if (!state.ok()) {
    return absl::DataLossError(
        absl::StrCat(Describe(), ": analysis '", a.id, "': ", state.status().message()));
  }
  a.state = *state;
  a.stage = row.Text(7);
  a.progress = row.Double(8);
  a.verdict = row.Text(9);
  a.fake_probability = row.Double(10);
  a.reason = row.Text(11);
  a.message = row.Text(12);
  a.thumbnail = row.Text(13);
  a.created_ms = row.Int(14);
  a.started_ms = row.Int(15);
  a.finished_ms = row.Int(16);
  a.attempts = static_cast<int>(row.Int(17));
  a.worker = row.Text(18);
  a.lease_expires_ms = row.Int(19);
  return a;
}

absl::StatusOr<std::optional<Analysis>> SqliteStore::GetLocked(const Connection& c,
                                                               const std::string& id,
                                                               bool with_result,
                                                               const std::string& op) const {
  Statement get(
      c.db(),
      absl::StrCat("SELECT ", kColumns, with_result ? ", r.result_json" : "", " FROM analyses a",
                   with_result ? " LEFT JOIN results r ON r.id = a.id" : "", " WHERE a.id = ?"));
  get.Bind(1, id);
  ASSIGN_OR_RETURN(const bool row, c.NextRow(get, op));
  if (!row) return std::nullopt;
  ASSIGN_OR_RETURN(Analysis analysis, ReadAnalysis(get));
  if (with_result) analysis.result_json = get.Text(kNumColumns);
  return analysis;
}

absl::Status SqliteStore::NotHeld(const std::string& id, const std::string& worker,
                                  const std::string& op) const {
  const Connection& c = *writer_;  // its mutex held by the caller
  ASSIGN_OR_RETURN(const std::optional<Analysis> now, GetLocked(c, id, false, op));
  if (!now.has_value()) return NotFound(id, op);
  return absl::FailedPreconditionError(absl::StrCat(
      Describe(), ": ", op, ": worker '", worker, "' no longer holds analysis '", id, "' (it is ",
      JobStateName(now->state),
      now->state == JobState::kRunning ? absl::StrCat(" on worker '", now->worker, "'") : "", ")"));
}

absl::Status SqliteStore::Insert(const Analysis& analysis) {
  const std::string op = absl::StrCat("insert analysis '", analysis.id, "'");
  if (analysis.id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(Describe(), ": ", op, ": empty id"));
  }
  const Connection& c = *writer_;
  std::lock_guard<std::mutex> lock(c.mu());
  Transaction transaction(c, /*write=*/true);
  RETURN_IF_ERROR(transaction.Begin(op));
  Statement insert(
      c.db(),
      "INSERT INTO analyses (id, file_name, dir, upload_kept, size_bytes, content_type, state, "
      "stage, progress, verdict, fake_probability, reason, message, thumbnail, created_ms, "
      "started_ms, finished_ms, attempts, worker, lease_expires_ms) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  const Analysis& a = analysis;
  insert.Bind(1, a.id).Bind(2, a.file_name).Bind(3, a.dir).Bind(4, a.upload_kept);
  insert.Bind(5, a.size_bytes).Bind(6, a.content_type).Bind(7, JobStateName(a.state));
  insert.Bind(8, a.stage.empty() && a.state == JobState::kQueued ? "queued" : a.stage);
  insert.Bind(9, a.progress).Bind(10, a.verdict).Bind(11, a.fake_probability);
  insert.Bind(12, a.reason).Bind(13, a.message).Bind(14, a.thumbnail);
  insert.Bind(15, a.created_ms != 0 ? a.created_ms : NowMs());
  insert.Bind(16, a.started_ms).Bind(17, a.finished_ms).Bind(18, a.attempts);
  insert.Bind(19, a.worker).Bind(20, a.lease_expires_ms);
  const int rc = insert.Step();
  if ((rc & 0xff) == SQLITE_CONSTRAINT) {
    return absl::AlreadyExistsError(absl::StrCat(Describe(), ": ", op, ": the id is already used"));
  }
  if (rc != SQLITE_DONE) return c.Error(rc, op);
  if (!a.result_json.empty()) {
    Statement result(c.db(), "INSERT INTO results (id, result_json) VALUES (?, ?)");
    result.Bind(1, a.id).Bind(2, a.result_json);
    RETURN_IF_ERROR(c.Run(result, op).status());
  }
  return transaction.Commit(op);
}

absl::StatusOr<Analysis> SqliteStore::Get(const std::string& id) const {
  const std::string op = absl::StrCat("get analysis '", id, "'");
  const Connection& c = *reader_;
  std::lock_guard<std::mutex> lock(c.mu());
  ASSIGN_OR_RETURN(std::optional<Analysis> analysis, GetLocked(c, id, true, op));
  if (!analysis.has_value()) return NotFound(id, "get");
  return *std::move(analysis);
}

absl::StatusOr<ListPage> SqliteStore::List(const ListQuery& query) const {
  const std::string op = "list analyses";
  if (query.limit < 1 || query.limit > 200 || query.offset < 0) {
    return absl::InvalidArgumentError(absl::StrCat(Describe(), ": ", op, ": limit ", query.limit,
                                                   " / offset ", query.offset,
                                                   " out of range (limit 1..200, offset >= 0)"));
  }
  std::string where = " WHERE 1";
  std::vector<std::function<void(Statement&, int)>> binds;
  if (!query.name_contains.empty()) {
    where += " AND a.file_name LIKE ? ESCAPE '\\'";
    const std::string pattern = LikePattern(query.name_contains);
    binds.push_back([pattern](Statement& s, int i) { s.Bind(i, pattern); });
  }
  if (query.state.has_value()) {
    where += " AND a.state = ?";
    const std::string state = JobStateName(*query.state);
    binds.push_back([state](Statement& s, int i) { s.Bind(i, state); });
  }
  if (!query.verdict.empty()) {
    where += " AND a.verdict = ?";
    const std::string verdict = query.verdict;
    binds.push_back([verdict](Statement& s, int i) { s.Bind(i, verdict); });
  }
  if (query.created_from_ms != 0) {
    where += " AND a.created_ms >= ?";
    const int64_t from = query.created_from_ms;
    binds.push_back([from](Statement& s, int i) { s.Bind(i, from); });
  }
  if (query.created_to_ms != 0) {
    where += " AND a.created_ms <= ?";
    const int64_t to = query.created_to_ms;
    binds.push_back([to](Statement& s, int i) { s.Bind(i, to); });
  }
  auto bind_all = [&](Statement& s) {
    for (size_t i = 0; i < binds.size(); ++i) binds[i](s, static_cast<int>(i) + 1);
  };

  const Connection& c = *reader_;
  std::lock_guard<std::mutex> lock(c.mu());
  Transaction snapshot(c, /*write=*/false);  // the page and the total agree
  RETURN_IF_ERROR(snapshot.Begin(op));
  ListPage page;
  {
    Statement count(c.db(), absl::StrCat("SELECT COUNT(*) FROM analyses a", where));
    bind_all(count);
    ASSIGN_OR_RETURN(const bool row, c.NextRow(count, op));
    if (row) page.total = count.Int(0);
  }
  Statement list(c.db(), absl::StrCat("SELECT ", kColumns, " FROM analyses a", where,
                                      " ORDER BY a.created_ms DESC, a.id DESC LIMIT ? OFFSET ?"));
  bind_all(list);
  list.Bind(static_cast<int>(binds.size()) + 1, query.limit);
  list.Bind(static_cast<int>(binds.size()) + 2, query.offset);
  while (true) {
    ASSIGN_OR_RETURN(const bool row, c.NextRow(list, op));
    if (!row) break;
    ASSIGN_OR_RETURN(Analysis analysis, ReadAnalysis(list));
    page.items.push_back(std::move(analysis));
  }
  RETURN_IF_ERROR(snapshot.Commit(op));
  return page;
}

absl::StatusOr<StoreCounts> SqliteStore::Counts() const {
  const std::string op = "count analyses";
  const Connection& c = *reader_;
  std::lock_guard<std::mutex> lock(c.mu());
  Statement count(c.db(), "SELECT state, verdict, COUNT(*) FROM analyses GROUP BY state, verdict");
  StoreCounts counts;
  while (true) {
    ASSIGN_OR_RETURN(const bool row, c.NextRow(count, op));
    if (!row) break;
    const std::string state = count.Text(0), verdict = count.Text(1);
    const int64_t n = count.Int(2);
    if (state == "queued") counts.queued += n;
    if (state == "running") counts.running += n;
    if (state == "failed") counts.failed += n;
    if (state == "canceled") counts.canceled += n;
    if (state == "done") {
      counts.done += n;
      if (verdict == "REAL") counts.real += n;
      if (verdict == "FAKE") counts.fake += n;
      if (verdict == "UNDETERMINED") counts.undetermined += n;
    }
  }
  return counts;
}

absl::StatusOr<int64_t> SqliteStore::QueuePosition(const std::string& id) const {
  const std::string op = absl::StrCat("queue position of '", id, "'");
  const Connection& c = *reader_;
  std::lock_guard<std::mutex> lock(c.mu());
  Transaction snapshot(c, /*write=*/false);
  RETURN_IF_ERROR(snapshot.Begin(op));
  ASSIGN_OR_RETURN(const std::optional<Analysis> analysis, GetLocked(c, id, false, op));
  if (!analysis.has_value()) return NotFound(id, "queue position");
  if (analysis->state != JobState::kQueued) return 0;
  Statement ahead(c.db(),
                  "SELECT COUNT(*) FROM analyses WHERE state = 'queued' AND "
                  "(created_ms < ? OR (created_ms = ? AND id <= ?))");
  ahead.Bind(1, analysis->created_ms).Bind(2, analysis->created_ms).Bind(3, id);
  ASSIGN_OR_RETURN(const bool row, c.NextRow(ahead, op));
  const int64_t position = row ? ahead.Int(0) : 0;
  RETURN_IF_ERROR(snapshot.Commit(op));
  return position;
}

absl::Status SqliteStore::EndUnrunnable(int64_t now_ms, int64_t only_expired_before_ms,
                                        int max_attempts, const std::string& op) {
  const Connection& c = *writer_;  // its mutex held by the caller
  const std::string expired =
      only_expired_before_ms > 0 ? " AND lease_expires_ms <= ?3" : " AND ?3 = ?3";
  Statement canceled(c.db(),
                     absl::StrCat("UPDATE analyses SET state = 'canceled', reason = 'canceled', "
                                  "message = 'canceled by request', finished_ms = ?1, "
                                  "lease_expires_ms = 0 "
                                  "WHERE state = 'running' AND cancel_requested = 1 AND ?2 = ?2",
                                  expired));
  canceled.Bind(1, now_ms).Bind(2, max_attempts).Bind(3, only_expired_before_ms);
  RETURN_IF_ERROR(c.Run(canceled, op).status());
  Statement failed(c.db(),
                   absl::StrCat("UPDATE analyses SET state = 'failed', reason = 'interrupted', "
                                "message = 'the analysis was interrupted ' || attempts || "
                                "' time(s) (the server stopped or its worker died); not retried', "
                                "finished_ms = ?1, lease_expires_ms = 0 "
                                "WHERE state = 'running' AND attempts >= ?2",
                                expired));
  failed.Bind(1, now_ms).Bind(2, max_attempts).Bind(3, only_expired_before_ms);
  return c.Run(failed, op).status();
}

absl::StatusOr<std::optional<Analysis>> SqliteStore::Claim(const std::string& worker,
                                                           int64_t lease_ms, int max_attempts) {
  const std::string op = absl::StrCat("claim a job for worker '", worker, "'");
  const Connection& c = *writer_;
  std::lock_guard<std::mutex> lock(c.mu());
  Transaction transaction(c, /*write=*/true);
  RETURN_IF_ERROR(transaction.Begin(op));
  const int64_t now = NowMs();
  RETURN_IF_ERROR(EndUnrunnable(now, now, max_attempts, op));
  // The oldest queued job and the oldest expired running one; the older of the two wins.
  std::optional<std::pair<int64_t, std::string>> next;
  for (const char* sql : {"SELECT created_ms, id FROM analyses WHERE state = 'queued' "
                          "ORDER BY created_ms, id LIMIT 1",
                          "SELECT created_ms, id FROM analyses WHERE state = 'running' AND "
                          "lease_expires_ms <= ? ORDER BY created_ms, id LIMIT 1"}) {
    Statement select(c.db(), sql);
    select.Bind(1, now);
    ASSIGN_OR_RETURN(const bool row, c.NextRow(select, op));
    if (!row) continue;
    std::pair<int64_t, std::string> candidate(select.Int(0), select.Text(1));
    if (!next.has_value() || candidate < *next) next = std::move(candidate);
  }
  if (!next.has_value()) {
    RETURN_IF_ERROR(transaction.Commit(op));  // keeps what EndUnrunnable changed
    return std::nullopt;
  }
  Statement claim(c.db(),
                  "UPDATE analyses SET state = 'running', stage = 'decoding', progress = 0, "
                  "worker = ?, attempts = attempts + 1, started_ms = ?, "
                  "lease_expires_ms = ? WHERE id = ?");
  claim.Bind(1, worker).Bind(2, now).Bind(3, now + lease_ms).Bind(4, next->second);
  RETURN_IF_ERROR(c.Run(claim, op).status());
  ASSIGN_OR_RETURN(std::optional<Analysis> claimed, GetLocked(c, next->second, false, op));
  RETURN_IF_ERROR(transaction.Commit(op));
  return claimed;
}

absl::Status SqliteStore::Progress(const std::string& id, const std::string& worker,
                                   const std::string& stage, double progress, int64_t lease_ms) {
  const std::string op = absl::StrCat("progress of '", id, "'");
  const Connection& c = *writer_;
  std::lock_guard<std::mutex> lock(c.mu());
  // Without an fsync of its own (the next durable commit syncs it along): a progress
  // update lost to a power cut costs nothing, and they are the most frequent writes.
  RETURN_IF_ERROR(c.Exec("PRAGMA synchronous = NORMAL", op));
  Statement update(c.db(),
                   "UPDATE analyses SET stage = ?, progress = ?, lease_expires_ms = ? "
                   "WHERE id = ? AND state = 'running' AND worker = ?");
  update.Bind(1, stage).Bind(2, std::clamp(progress, 0.0, 1.0)).Bind(3, NowMs() + lease_ms);
  update.Bind(4, id).Bind(5, worker);
  const absl::StatusOr<int> changed = c.Run(update, op);
  RETURN_IF_ERROR(c.Exec(kSynchronous, op));
  if (!changed.ok()) return changed.status();
  return *changed == 1 ? absl::OkStatus() : NotHeld(id, worker, op);
}

absl::Status SqliteStore::Finish(const std::string& id, const std::string& worker,
                                 const Analysis& finished) {
  const std::string op = absl::StrCat("finish '", id, "'");
  const Connection& c = *writer_;
  std::lock_guard<std::mutex> lock(c.mu());
  Transaction transaction(c, /*write=*/true);
  RETURN_IF_ERROR(transaction.Begin(op));
  Statement update(c.db(),
                   "UPDATE analyses SET state = 'done', stage = 'done', progress = 1, "
                   "verdict = ?, fake_probability = ?, reason = ?, message = ?, "
                   "thumbnail = ?, upload_kept = ?, finished_ms = ?, lease_expires_ms = 0 "
                   "WHERE id = ? AND state = 'running' AND worker = ?");
  update.Bind(1, finished.verdict).Bind(2, finished.fake_probability);
  update.Bind(3, finished.reason).Bind(4, finished.message).Bind(5, finished.thumbnail);
  update.Bind(6, finished.upload_kept).Bind(7, NowMs()).Bind(8, id).Bind(9, worker);
  ASSIGN_OR_RETURN(const int changed, c.Run(update, op));
  if (changed != 1) return NotHeld(id, worker, op);
  Statement result(c.db(), "INSERT OR REPLACE INTO results (id, result_json) VALUES (?, ?)");
  result.Bind(1, id).Bind(2, finished.result_json);
  RETURN_IF_ERROR(c.Run(result, op).status());
  return transaction.Commit(op);
}

absl::Status SqliteStore::Fail(const std::string& id, const std::string& worker,
                               const std::string& reason, const std::string& message) {
  const std::string op = absl::StrCat("fail '", id, "'");
  const Connection& c = *writer_;
  std::lock_guard<std::mutex> lock(c.mu());
  Statement update(c.db(),
                   "UPDATE analyses SET state = ?, reason = ?, message = ?, finished_ms = ?, "
                   "lease_expires_ms = 0 WHERE id = ? AND state = 'running' AND worker = ?");
  update.Bind(1, reason == "canceled" ? "canceled" : "failed").Bind(2, reason);
  update.Bind(3, message).Bind(4, NowMs()).Bind(5, id).Bind(6, worker);
  ASSIGN_OR_RETURN(const int changed, c.Run(update, op));
  return changed == 1 ? absl::OkStatus() : NotHeld(id, worker, op);
}

absl::Status SqliteStore::Cancel(const std::string& id) {
  const std::string op = absl::StrCat("cancel '", id, "'");
  const Connection& c = *writer_;
  std::lock_guard<std::mutex> lock(c.mu());
  Transaction transaction(c, /*write=*/true);
  RETURN_IF_ERROR(transaction.Begin(op));
  ASSIGN_OR_RETURN(const std::optional<Analysis> analysis, GetLocked(c, id, false, op));
  if (!analysis.has_value()) return NotFound(id, "cancel");
  if (analysis->state == JobState::kQueued) {
    Statement cancel(c.db(),
                     "UPDATE analyses SET state = 'canceled', reason = 'canceled', "
                     "message = 'canceled by request', finished_ms = ? WHERE id = ?");
    cancel.Bind(1, NowMs()).Bind(2, id);
    RETURN_IF_ERROR(c.Run(cancel, op).status());
  } else if (analysis->state == JobState::kRunning) {
    Statement flag(c.db(), "UPDATE analyses SET cancel_requested = 1 WHERE id = ?");
    flag.Bind(1, id);
    RETURN_IF_ERROR(c.Run(flag, op).status());
  } else {
    return absl::FailedPreconditionError(absl::StrCat(
        Describe(), ": ", op, ": the analysis is already ", JobStateName(analysis->state)));
  }
  return transaction.Commit(op);
}

absl::StatusOr<bool> SqliteStore::CancelRequested(const std::string& id) const {
  const std::string op = absl::StrCat("cancel requested for '", id, "'");
  const Connection& c = *reader_;
  std::lock_guard<std::mutex> lock(c.mu());
  Statement get(c.db(), "SELECT cancel_requested, state FROM analyses WHERE id = ?");
  get.Bind(1, id);
  ASSIGN_OR_RETURN(const bool row, c.NextRow(get, op));
  if (!row) return NotFound(id, "cancel requested");
  return get.Int(0) != 0 || get.Text(1) == "canceled";
}

absl::StatusOr<int> SqliteStore::RecoverInterrupted(int max_attempts) {
  const std::string op = "recover interrupted analyses";
  const Connection& c = *writer_;
  std::lock_guard<std::mutex> lock(c.mu());
  Transaction transaction(c, /*write=*/true);
  RETURN_IF_ERROR(transaction.Begin(op));
  RETURN_IF_ERROR(EndUnrunnable(NowMs(), 0, max_attempts, op));
  Statement requeue(c.db(),
                    "UPDATE analyses SET state = 'queued', stage = 'queued', progress = 0, "
                    "lease_expires_ms = 0 WHERE state = 'running'");
  ASSIGN_OR_RETURN(const int requeued, c.Run(requeue, op));
  RETURN_IF_ERROR(transaction.Commit(op));
  return requeued;
}

absl::Status SqliteStore::Delete(const std::string& id) {
  const std::string op = absl::StrCat("delete '", id, "'");
  const Connection& c = *writer_;
  std::lock_guard<std::mutex> lock(c.mu());
  Statement remove(c.db(), "DELETE FROM analyses WHERE id = ?");
  remove.Bind(1, id);
  ASSIGN_OR_RETURN(const int changed, c.Run(remove, op));
  return changed == 1 ? absl::OkStatus() : NotFound(id, "delete");
}

absl::StatusOr<std::vector<std::string>> SqliteStore::DeleteAll() {
  const std::string op = "delete all analyses";
  const Connection& c = *writer_;
  std::lock_guard<std::mutex> lock(c.mu());
  Transaction transaction(c, /*write=*/true);
  RETURN_IF_ERROR(transaction.Begin(op));
  std::vector<std::string> ids;
  {
    Statement list(c.db(), "SELECT id FROM analyses ORDER BY created_ms DESC, id DESC");
    while (true) {
      ASSIGN_OR_RETURN(const bool row, c.NextRow(list, op));
      if (!row) break;
      ids.push_back(list.Text(0));
    }
  }
  RETURN_IF_ERROR(c.Exec("DELETE FROM results; DELETE FROM analyses", op));
  RETURN_IF_ERROR(transaction.Commit(op));
  return ids;
}

// Problems SQLite would report vaguely ("unable to open database file"), named plainly.
// Writability is tried, not inferred from mode bits (root, capabilities, read-only mounts):
// a probe file is created in the folder and removed. The database file itself is never
// opened here: closing a descriptor of it would drop this process's SQLite locks on it.
absl::Status CheckPath(const std::string& path) {
  const std::string describe = absl::StrCat("sqlite:", path);
  if (path.empty()) return absl::InvalidArgumentError("sqlite: open: empty database path");
  const std::string dir = Dirname(path);
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::NotFoundError(
        absl::StrCat(describe, ": open: the folder '", dir, "' does not exist"));
  }
  std::string probe = absl::StrCat(dir, "/.deepfake-write-probe-XXXXXX");
  const int fd = mkstemp(probe.data());
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat(describe, ": open: the folder '", dir, "' is not writable (", strerror(errno),
                     "; the database and its -wal and -shm files are written there)"));
  }
  close(fd);
  unlink(probe.c_str());
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(describe, ": open: not a regular file (a folder?)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Connection>> OpenConnection(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return absl::Status(CodeFor(rc), absl::StrCat("sqlite:", path, ": open: ", message));
  }
  if (sqlite3_db_readonly(db, "main") == 1) {  // SQLite's fallback for a read-only file
    sqlite3_close_v2(db);
    return absl::PermissionDeniedError(
        absl::StrCat("sqlite:", path, ": open: the file is not writable"));
  }
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  return std::make_unique<Connection>(absl::StrCat("sqlite:", path), db);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  RETURN_IF_ERROR(CheckPath(path));
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> writer, OpenConnection(path));
  RETURN_IF_ERROR(Migrate(*writer));
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, OpenConnection(path));
  RETURN_IF_ERROR(reader->Exec("PRAGMA query_only = ON", "open"));
  return std::make_unique<SqliteStore>(path, std::move(writer), std::move(reader));
}

}  // namespace serve::web
