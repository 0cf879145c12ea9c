// The PostgreSQL engine of store.h (issue 18): several `deepfake serve` processes, on one
// machine or many, share one database as history and job queue.
//
// Schema (version 1, the SQLite engine's tables with PostgreSQL types; migrations are an
// ordered list applied in one transaction under an advisory lock, so servers starting at
// once migrate once, each migration recorded in schema_version):
//   schema_version(version, applied_ms)
//   analyses(... the Analysis record less result_json, plus cancel_requested)
//   results(id REFERENCES analyses ON DELETE CASCADE, result_json)
//   indexes: analyses(created_ms DESC, id DESC), (verdict, created_ms DESC, id DESC),
//            (state, created_ms, id)
// The name search is ILIKE with '\' as escape (PostgreSQL folds non-ASCII letters too).
//
// The job queue: Claim runs in one transaction: the running jobs whose lease expired and
// that cannot run again are ended (canceled, or failed "interrupted" after max_attempts);
// then the oldest claimable job (queued, or running with an expired lease) is selected
// with FOR UPDATE SKIP LOCKED (concurrent claims on other servers skip it instead of
// waiting) and updated to running under the new worker. Lease times come from the
// database's clock, so servers whose clocks disagree still agree on when a lease expired.
//
// Connections: a small pool (kPoolSize); each connection is used by one thread at a time.
// A connection found broken (the database restarted, a network cut) is reset and the
// operation retried once on the new connection. Errors read "URL-without-password: OP:
// PostgreSQL's message".
#include <libpq-fe.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "serve/web/store.h"

namespace serve::web {
namespace {

constexpr int kPoolSize = 8;
// pg_advisory_xact_lock key of schema migrations: "deepfake" in ASCII.
constexpr char kMigrationLock[] = "7234298328093656421";
// The database's clock, in Unix epoch milliseconds.
constexpr char kDbNow[] = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";

const std::vector<const char*>& Migrations() {
  static const auto* migrations = new std::vector<const char*>{
      // Version 1: analyses, results and the list/queue indexes.
      R"sql(
        CREATE TABLE analyses (
          id TEXT PRIMARY KEY NOT NULL,
          file_name TEXT NOT NULL,
          dir TEXT NOT NULL,
          upload_kept BOOLEAN NOT NULL DEFAULT FALSE,
          size_bytes BIGINT NOT NULL DEFAULT 0,
          content_type TEXT NOT NULL DEFAULT '',
          state TEXT NOT NULL
            CHECK (state IN ('queued', 'running', 'done', 'failed', 'canceled')),
          stage TEXT NOT NULL DEFAULT '',
          progress DOUBLE PRECISION NOT NULL DEFAULT 0,
          verdict TEXT NOT NULL DEFAULT '',
          fake_probability DOUBLE PRECISION NOT NULL DEFAULT -1,
          reason TEXT NOT NULL DEFAULT '',
          message TEXT NOT NULL DEFAULT '',
          thumbnail TEXT NOT NULL DEFAULT '',
          created_ms BIGINT NOT NULL,
          started_ms BIGINT NOT NULL DEFAULT 0,
          finished_ms BIGINT NOT NULL DEFAULT 0,
          attempts INTEGER NOT NULL DEFAULT 0,
          worker TEXT NOT NULL DEFAULT '',
          lease_expires_ms BIGINT NOT NULL DEFAULT 0,
          cancel_requested BOOLEAN NOT NULL DEFAULT FALSE
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

constexpr char kColumns[] =
    "a.id, a.file_name, a.dir, a.upload_kept, a.size_bytes, a.content_type, a.state, a.stage, "
    "a.progress, a.verdict, a.fake_probability, a.reason, a.message, a.thumbnail, "
    "a.created_ms, a.started_ms, a.finished_ms, a.attempts, a.worker, a.lease_expires_ms";
constexpr int kNumColumns = 20;

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

std::string LikePattern(const std::string& contains) {
  std::string pattern = "%";
  for (char c : contains) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  pattern += '%';
  return pattern;
}

absl::StatusCode CodeFor(const std::string& sqlstate) {
  if (sqlstate == "23505") return absl::StatusCode::kAlreadyExists;
  if (sqlstate == "3D000") return absl::StatusCode::kNotFound;  // no such database
  if (absl::StartsWith(sqlstate, "08") || absl::StartsWith(sqlstate, "57P")) {
    return absl::StatusCode::kUnavailable;  // connection lost, server shutting down
  }
  if (absl::StartsWith(sqlstate, "28") || sqlstate == "42501") {
    return absl::StatusCode::kPermissionDenied;
  }
  if (absl::StartsWith(sqlstate, "53")) return absl::StatusCode::kResourceExhausted;
  if (sqlstate == "40001" || sqlstate == "40P01") return absl::StatusCode::kAborted;
  return absl::StatusCode::kInternal;
}

std::string FirstLine(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  const size_t newline = text.find('\n');
  if (newline != std::string::npos) text = text.substr(0, newline);
  return text;
}

// One connection of the pool.
class Connection {
 public:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  ~Connection() { PQfinish(conn_); }
  PGconn* get() const { return conn_; }

 private:
  PGconn* conn_;
};

void IgnoreNotice(void*, const char*) {}

// Query parameters, all sent as text.
class Params {
 public:
  Params& Add(const std::string& text) {
    values_.push_back(text);
    return *this;
  }
  Params& Add(const char* text) { return Add(std::string(text)); }
  Params& Add(int64_t value) { return Add(absl::StrCat(value)); }
  Params& Add(int value) { return Add(absl::StrCat(value)); }
  Params& Add(bool value) { return Add(value ? "true" : "false"); }
  Params& Add(double value) { return Add(absl::StrFormat("%.17g", value)); }
  int size() const { return static_cast<int>(values_.size()); }
  std::vector<const char*> pointers() const {
    std::vector<const char*> p;
    for (const std::string& v : values_) p.push_back(v.c_str());
    return p;
  }

 private:
  std::vector<std::string> values_;
};

// The queries of one operation, on one connection held for it.
class Session {
 public:
  Session(const std::string& describe, PGconn* conn, std::string op)
      : describe_(describe), conn_(conn), op_(std::move(op)) {}
  ~Session() {
    if (in_transaction_) Result(PQexec(conn_, "ROLLBACK"), PQclear);
  }

  const std::string& op() const { return op_; }
  PGconn* conn() const { return conn_; }

  absl::Status Error(const PGresult* result) const {
    const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    std::string message =
        FirstLine(result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
    if (message.empty()) message = FirstLine(PQerrorMessage(conn_));
    absl::StatusCode code = state != nullptr ? CodeFor(state) : absl::StatusCode::kInternal;
    if (PQstatus(conn_) == CONNECTION_BAD) code = absl::StatusCode::kUnavailable;
    return absl::Status(code, absl::StrCat(describe_, ": ", op_, ": ", message));
  }

  // Runs `sql` with $1.. bound to `params`; the rows (if any).
  absl::StatusOr<Result> Query(const std::string& sql, const Params& params = Params()) {
    const std::vector<const char*> values = params.pointers();
    // Without parameters, the simple protocol: a migration is several statements.
    Result result(values.empty() ? PQexec(conn_, sql.c_str())
                                 : PQexecParams(conn_, sql.c_str(), params.size(), nullptr,
                                                values.data(), nullptr, nullptr, 0),
                  PQclear);
    const ExecStatusType status =
        result != nullptr ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Error(result.get());
    return result;
  }
  // The number of rows an INSERT / UPDATE / DELETE changed.
  absl::StatusOr<int> Exec(const std::string& sql, const Params& params = Params()) {
    ASSIGN_OR_RETURN(Result result, Query(sql, params));
    return std::atoi(PQcmdTuples(result.get()));
  }

  absl::Status Begin() {
    RETURN_IF_ERROR(Query("BEGIN").status());
    in_transaction_ = true;
    return absl::OkStatus();
  }
  absl::Status Commit() {
    in_transaction_ = false;
    return Query("COMMIT").status();
  }

 private:
  const std::string& describe_;
  PGconn* const conn_;
  const std::string op_;
  bool in_transaction_ = false;
};

std::string Text(const PGresult* r, int row, int column) {
  return std::string(PQgetvalue(r, row, column), PQgetlength(r, row, column));
}
int64_t Int(const PGresult* r, int row, int column) {
  return std::strtoll(PQgetvalue(r, row, column), nullptr, 10);
}
double Double(const PGresult* r, int row, int column) {
  return std::strtod(PQgetvalue(r, row, column), nullptr);
}
bool Bool(const PGresult* r, int row, int column) { return PQgetvalue(r, row, column)[0] == 't'; }

class PostgresStore : public Store {
 public:
  PostgresStore(std::string url, std::string describe)
      : url_(std::move(url)), describe_(std::move(describe)) {}
  ~PostgresStore() override = default;

  // Connects once and migrates the schema: the errors a user can act on surface here.
  absl::Status Open();

  std::string Describe() const override { return describe_; }
  bool SharedByServers() const override { return true; }

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
  absl::StatusOr<std::unique_ptr<Connection>> Connect() const;
  absl::StatusOr<std::unique_ptr<Connection>> Acquire(const std::string& op) const;
  void Release(std::unique_ptr<Connection> connection) const;

  // Runs `body` on a pooled connection; once more on a fresh connection when the first
  // one turned out broken (the database restarted, the network dropped it).
  template <typename T>
  absl::StatusOr<T> Run(const std::string& op,
                        const std::function<absl::StatusOr<T>(Session&)>& body) const {
    for (int attempt = 0;; ++attempt) {
      ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection, Acquire(op));
      absl::StatusOr<T> result;
      {
        Session session(describe_, connection->get(), op);
        result = body(session);
      }
      const bool broken = PQstatus(connection->get()) == CONNECTION_BAD;
      if (broken) {
        connection.reset();  // closed; the pool makes a new one
        std::lock_guard<std::mutex> lock(mu_);
        --open_;
        pool_changed_.notify_one();
      } else {
        Release(std::move(connection));
      }
      if (result.ok() || !broken || attempt > 0) return result;
    }
  }
  absl::Status RunStatus(const std::string& op,
                         const std::function<absl::Status(Session&)>& body) const {
    return Run<bool>(op,
                     [&](Session& s) -> absl::StatusOr<bool> {
                       RETURN_IF_ERROR(body(s));
                       return true;
                     })
        .status();
  }

  absl::Status NotFound(const std::string& id, const std::string& op) const {
    return absl::NotFoundError(
        absl::StrCat(describe_, ": ", op, ": no analysis with id '", id, "'"));
  }
  absl::StatusOr<Analysis> ReadAnalysis(const PGresult* r, int row) const;
  absl::StatusOr<std::optional<Analysis>> GetIn(Session& s, const std::string& id,
                                                bool with_result) const;
  absl::Status NotHeld(Session& s, const std::string& id, const std::string& worker) const;
  absl::Status EndUnrunnable(Session& s, int64_t now_ms, bool only_expired, int max_attempts) const;

  const std::string url_, describe_;
  mutable std::mutex mu_;
  mutable std::condition_variable pool_changed_;
  mutable std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mu_
  mutable int open_ = 0;                                   // idle and in use; guarded by mu_
};

absl::StatusOr<std::unique_ptr<Connection>> PostgresStore::Connect() const {
  // The URL's own settings win over these defaults (expand_dbname; later keywords override).
  const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", "deepfake serve", url_.c_str(), nullptr};
  auto connection =
      std::make_unique<Connection>(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  if (connection->get() == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(describe_, ": connect: out of memory"));
  }
  if (PQstatus(connection->get()) != CONNECTION_OK) {
    const std::string message = FirstLine(PQerrorMessage(connection->get()));
    absl::StatusCode code = absl::StatusCode::kUnavailable;
    if (absl::StrContains(message, "does not exist")) code = absl::StatusCode::kNotFound;
    if (absl::StrContains(message, "authentication failed") ||
        absl::StrContains(message, "password")) {
      code = absl::StatusCode::kPermissionDenied;
    }
    return absl::Status(code, absl::StrCat(describe_, ": connect: ", message));
  }
  PQsetNoticeProcessor(connection->get(), IgnoreNotice, nullptr);
  return connection;
}

absl::StatusOr<std::unique_ptr<Connection>> PostgresStore::Acquire(const std::string& op) const {
  {
    std::unique_lock<std::mutex> lock(mu_);
    pool_changed_.wait(lock, [&] { return !idle_.empty() || open_ < kPoolSize; });
    if (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      if (PQstatus(connection->get()) == CONNECTION_OK) return connection;
      --open_;  // broken while idle: replaced below
    }
    ++open_;
  }
  absl::StatusOr<std::unique_ptr<Connection>> connection = Connect();
  if (!connection.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    --open_;
    pool_changed_.notify_one();
    return absl::Status(connection.status().code(),
                        absl::StrCat(connection.status().message(), " (", op, ")"));
  }
  return connection;
}

void PostgresStore::Release(std::unique_ptr<Connection> connection) const {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(std::move(connection));
  pool_changed_.notify_one();
}

absl::Status PostgresStore::Open() {
  return RunStatus("open", [&](Session& s) -> absl::Status {
    RETURN_IF_ERROR(s.Begin());
    // Servers starting at once queue here; the first migrates, the others find it done.
    RETURN_IF_ERROR(
        s.Query(absl::StrCat("SELECT pg_advisory_xact_lock(", kMigrationLock, ")")).status());
    ASSIGN_OR_RETURN(Result tables, s.Query("SELECT COUNT(*), COUNT(*) FILTER (WHERE table_name = "
                                            "'schema_version') FROM information_schema.tables "
                                            "WHERE table_schema = current_schema()"));
    if (Int(tables.get(), 0, 0) > 0 && Int(tables.get(), 0, 1) == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(describe_,
                       ": open: a database of something else (it has tables but no "
                       "schema_version); give the dashboard its own database (createdb)"));
    }
    RETURN_IF_ERROR(s.Query("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER "
                            "PRIMARY KEY NOT NULL, applied_ms BIGINT NOT NULL)")
                        .status());
    ASSIGN_OR_RETURN(Result version_row,
                     s.Query("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
    const int64_t version = Int(version_row.get(), 0, 0);
    const int64_t known = static_cast<int64_t>(Migrations().size());
    if (version > known) {
      return absl::FailedPreconditionError(
          absl::StrCat(describe_, ": open: the database has schema version ", version,
                       "; this binary knows versions up to ", known,
                       " (a newer deepfake wrote it: run that version, or use another database)"));
    }
    for (int64_t v = version; v < known; ++v) {
      Session migrate(describe_, s.conn(), absl::StrCat("migrate the schema to version ", v + 1));
      RETURN_IF_ERROR(migrate.Query(Migrations()[v]).status());
      RETURN_IF_ERROR(migrate
                          .Query(absl::StrCat("INSERT INTO schema_version (version, applied_ms) "
                                              "VALUES ($1, ",
                                              kDbNow, ")"),
                                 Params().Add(v + 1))
                          .status());
    }
    return s.Commit();
  });
}

absl::StatusOr<Analysis> PostgresStore::ReadAnalysis(const PGresult* r, int row) const {
  Analysis a;
  a.id = Text(r, row, 0);
  a.file_name = Text(r, row, 1);
  a.dir = Text(r, row, 2);
  a.upload_kept = Bool(r, row, 3);
  a.size_bytes = Int(r, row, 4);
  a.content_type = Text(r, row, 5);
  absl::StatusOr<JobState> state = ParseJobState(Text(r, row, 6));
  if (!state.ok()) {
    return absl::DataLossError(
        absl::StrCat(describe_, ": analysis '", a.id, "': ", state.status().message()));
  }
  a.state = *state;
  a.stage = Text(r, row, 7);
  a.progress = Double(r, row, 8);
  a.verdict = Text(r, row, 9);
  a.fake_probability = Double(r, row, 10);
  a.reason = Text(r, row, 11);
  a.message = Text(r, row, 12);
  a.thumbnail = Text(r, row, 13);
  a.created_ms = Int(r, row, 14);
  a.started_ms = Int(r, row, 15);
  a.finished_ms = Int(r, row, 16);
  a.attempts = static_cast<int>(Int(r, row, 17));
  a.worker = Text(r, row, 18);
  a.lease_expires_ms = Int(r, row, 19);
  return a;
}

absl::StatusOr<std::optional<Analysis>> PostgresStore::GetIn(Session& s, const std::string& id,
                                                             bool with_result) const {
  ASSIGN_OR_RETURN(
      Result r,
      s.Query(absl::StrCat(
                  "SELECT ", kColumns, with_result ? ", r.result_json" : "", " FROM analyses a",
                  with_result ? " LEFT JOIN results r ON r.id = a.id" : "", " WHERE a.id = $1"),
              Params().Add(id)));
  if (PQntuples(r.get()) == 0) return std::nullopt;
  ASSIGN_OR_RETURN(Analysis analysis, ReadAnalysis(r.get(), 0));
  if (with_result) analysis.result_json = Text(r.get(), 0, kNumColumns);
  return analysis;
}

absl::Status PostgresStore::NotHeld(Session& s, const std::string& id,
                                    const std::string& worker) const {
  ASSIGN_OR_RETURN(const std::optional<Analysis> now, GetIn(s, id, false));
  if (!now.has_value()) return NotFound(id, s.op());
  return absl::FailedPreconditionError(absl::StrCat(
      describe_, ": ", s.op(), ": worker '", worker, "' no longer holds analysis '", id,
      "' (it is ", JobStateName(now->state),
      now->state == JobState::kRunning ? absl::StrCat(" on worker '", now->worker, "'") : "", ")"));
}

absl::Status PostgresStore::Insert(const Analysis& a) {
  const std::string op = absl::StrCat("insert analysis '", a.id, "'");
  if (a.id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(describe_, ": ", op, ": empty id"));
  }
  return RunStatus(op, [&](Session& s) -> absl::Status {
    RETURN_IF_ERROR(s.Begin());
    Params p;
    p.Add(a.id).Add(a.file_name).Add(a.dir).Add(a.upload_kept).Add(a.size_bytes);
    p.Add(a.content_type).Add(JobStateName(a.state));
    p.Add(a.stage.empty() && a.state == JobState::kQueued ? "queued" : a.stage);
    p.Add(a.progress).Add(a.verdict).Add(a.fake_probability).Add(a.reason).Add(a.message);
    p.Add(a.thumbnail).Add(a.created_ms).Add(a.started_ms).Add(a.finished_ms).Add(a.attempts);
    p.Add(a.worker).Add(a.lease_expires_ms);
    absl::StatusOr<int> inserted = s.Exec(
        absl::StrCat("INSERT INTO analyses (id, file_name, dir, upload_kept, size_bytes, "
                     "content_type, state, stage, progress, verdict, fake_probability, reason, "
                     "message, thumbnail, created_ms, started_ms, finished_ms, attempts, worker, "
                     "lease_expires_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
                     "$12, $13, $14, CASE WHEN $15::BIGINT = 0 THEN ",
                     kDbNow, " ELSE $15::BIGINT END, $16, $17, $18, $19, $20)"),
        p);
    if (!inserted.ok()) {
      if (absl::IsAlreadyExists(inserted.status())) {
        return absl::AlreadyExistsError(
            absl::StrCat(describe_, ": ", op, ": the id is already used"));
      }
      return inserted.status();
    }
    if (!a.result_json.empty()) {
      RETURN_IF_ERROR(s.Exec("INSERT INTO results (id, result_json) VALUES ($1, $2)",
                             Params().Add(a.id).Add(a.result_json))
                          .status());
    }
    return s.Commit();
  });
}

absl::StatusOr<Analysis> PostgresStore::Get(const std::string& id) const {
  return Run<Analysis>(absl::StrCat("get analysis '", id, "'"),
                       [&](Session& s) -> absl::StatusOr<Analysis> {
                         ASSIGN_OR_RETURN(std::optional<Analysis> a, GetIn(s, id, true));
                         if (!a.has_value()) return NotFound(id, "get");
                         return *std::move(a);
                       });
}

absl::StatusOr<ListPage> PostgresStore::List(const ListQuery& query) const {
  const std::string op = "list analyses";
  if (query.limit < 1 || query.limit > 200 || query.offset < 0) {
    return absl::InvalidArgumentError(absl::StrCat(describe_, ": ", op, ": limit ", query.limit,
                                                   " / offset ", query.offset,
                                                   " out of range (limit 1..200, offset >= 0)"));
  }
  std::string where = " WHERE TRUE";
  Params params;
  int n = 0;
  if (!query.name_contains.empty()) {
    absl::StrAppend(&where, " AND a.file_name ILIKE $", ++n, " ESCAPE '\\'");
    params.Add(LikePattern(query.name_contains));
  }
  if (query.state.has_value()) {
    absl::StrAppend(&where, " AND a.state = $", ++n);
    params.Add(JobStateName(*query.state));
  }
  if (!query.verdict.empty()) {
    absl::StrAppend(&where, " AND a.verdict = $", ++n);
    params.Add(query.verdict);
  }
  if (query.created_from_ms != 0) {
    absl::StrAppend(&where, " AND a.created_ms >= $", ++n);
    params.Add(query.created_from_ms);
  }
  if (query.created_to_ms != 0) {
    absl::StrAppend(&where, " AND a.created_ms <= $", ++n);
    params.Add(query.created_to_ms);
  }
  return Run<ListPage>(op, [&](Session& s) -> absl::StatusOr<ListPage> {
    // One statement: the page and the total come from one snapshot.
    Params p = params;
    p.Add(query.limit).Add(query.offset);
    ASSIGN_OR_RETURN(Result r,
                     s.Query(absl::StrCat("SELECT ", kColumns, ", COUNT(*) OVER () FROM analyses a",
                                          where, " ORDER BY a.created_ms DESC, a.id DESC LIMIT $",
                                          n + 1, " OFFSET $", n + 2),
                             p));
    ListPage page;
    for (int row = 0; row < PQntuples(r.get()); ++row) {
      ASSIGN_OR_RETURN(Analysis a, ReadAnalysis(r.get(), row));
      page.items.push_back(std::move(a));
      page.total = Int(r.get(), row, kNumColumns);
    }
    if (page.items.empty()) {  // past the end: the total still counts every match
      ASSIGN_OR_RETURN(Result count,
                       s.Query(absl::StrCat("SELECT COUNT(*) FROM analyses a", where), params));
      page.total = Int(count.get(), 0, 0);
    }
    return page;
  });
}

absl::StatusOr<StoreCounts> PostgresStore::Counts() const {
  return Run<StoreCounts>("count analyses", [&](Session& s) -> absl::StatusOr<StoreCounts> {
    ASSIGN_OR_RETURN(Result r,
                     s.Query("SELECT state, verdict, COUNT(*) FROM analyses GROUP BY 1, 2"));
    StoreCounts counts;
    for (int row = 0; row < PQntuples(r.get()); ++row) {
      const std::string state = Text(r.get(), row, 0), verdict = Text(r.get(), row, 1);
      const int64_t n = Int(r.get(), row, 2);
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
  });
}

absl::StatusOr<int64_t> PostgresStore::QueuePosition(const std::string& id) const {
  return Run<int64_t>(
      absl::StrCat("queue position of '", id, "'"), [&](Session& s) -> absl::StatusOr<int64_t> {
        ASSIGN_OR_RETURN(
            Result r,
            s.Query("SELECT j.state, (SELECT COUNT(*) FROM analyses q WHERE q.state = 'queued' "
                    "AND (q.created_ms < j.created_ms OR (q.created_ms = j.created_ms AND "
                    "q.id <= j.id))) FROM analyses j WHERE j.id = $1",
                    Params().Add(id)));
        if (PQntuples(r.get()) == 0) return NotFound(id, "queue position");
        if (Text(r.get(), 0, 0) != "queued") return int64_t{0};
        return Int(r.get(), 0, 1);
      });
}

absl::Status PostgresStore::EndUnrunnable(Session& s, int64_t now_ms, bool only_expired,
                                          int max_attempts) const {
  // Rows another transaction holds (a claim or a progress update elsewhere) are skipped:
  // the next claim looks again.
  const std::string candidates =
      absl::StrCat("SELECT id FROM analyses WHERE state = 'running'",
                   only_expired ? " AND lease_expires_ms <= $1" : " AND $1::BIGINT = $1::BIGINT",
                   " AND %s FOR UPDATE SKIP LOCKED");
  RETURN_IF_ERROR(
      s.Exec(absl::StrCat("UPDATE analyses SET state = 'canceled', reason = "
                          "'canceled', message = 'canceled by request', "
                          "finished_ms = $1, lease_expires_ms = 0 WHERE id IN (",
                          absl::StrReplaceAll(candidates,
                                              {{"%s", "cancel_requested AND $2::INT = $2::INT"}}),
                          ")"),
             Params().Add(now_ms).Add(max_attempts))
          .status());
  return s
      .Exec(absl::StrCat("UPDATE analyses SET state = 'failed', reason = 'interrupted', "
                         "message = 'the analysis was interrupted ' || attempts || "
                         "' time(s) (the server stopped or its worker died); not retried', "
                         "finished_ms = $1, lease_expires_ms = 0 WHERE id IN (",
                         absl::StrReplaceAll(candidates, {{"%s", "attempts >= $2"}}), ")"),
            Params().Add(now_ms).Add(max_attempts))
      .status();
}

absl::StatusOr<std::optional<Analysis>> PostgresStore::Claim(const std::string& worker,
                                                             int64_t lease_ms, int max_attempts) {
  using Claimed = std::optional<Analysis>;
  return Run<Claimed>(
      absl::StrCat("claim a job for worker '", worker, "'"),
      [&](Session& s) -> absl::StatusOr<Claimed> {
        RETURN_IF_ERROR(s.Begin());
        ASSIGN_OR_RETURN(Result clock, s.Query(absl::StrCat("SELECT ", kDbNow)));
        const int64_t now = Int(clock.get(), 0, 0);
        RETURN_IF_ERROR(EndUnrunnable(s, now, /*only_expired=*/true, max_attempts));
        ASSIGN_OR_RETURN(
            Result next,
            s.Query("SELECT id FROM analyses WHERE state = 'queued' OR (state = 'running' AND "
                    "lease_expires_ms <= $1) ORDER BY created_ms, id LIMIT 1 "
                    "FOR UPDATE SKIP LOCKED",
                    Params().Add(now)));
        if (PQntuples(next.get()) == 0) {
          RETURN_IF_ERROR(s.Commit());  // keeps what EndUnrunnable changed
          return Claimed();
        }
        const std::string id = Text(next.get(), 0, 0);
        ASSIGN_OR_RETURN(
            Result r,
            s.Query(absl::StrCat("UPDATE analyses a SET state = 'running', stage = 'decoding', "
                                 "progress = 0, worker = $1, attempts = attempts + 1, "
                                 "started_ms = $2, lease_expires_ms = $3 WHERE id = $4 "
                                 "RETURNING ",
                                 kColumns),
                    Params().Add(worker).Add(now).Add(now + lease_ms).Add(id)));
        if (PQntuples(r.get()) != 1) {
          return absl::InternalError(
              absl::StrCat(describe_, ": ", s.op(), ": the locked row '", id, "' vanished"));
        }
        ASSIGN_OR_RETURN(Analysis claimed, ReadAnalysis(r.get(), 0));
        RETURN_IF_ERROR(s.Commit());
        return Claimed(std::move(claimed));
      });
}

absl::Status PostgresStore::Progress(const std::string& id, const std::string& worker,
                                     const std::string& stage, double progress, int64_t lease_ms) {
  return RunStatus(absl::StrCat("progress of '", id, "'"), [&](Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(
        const int changed,
        s.Exec(absl::StrCat("UPDATE analyses SET stage = $1, progress = $2, lease_expires_ms = ",
                            kDbNow, " + $3 WHERE id = $4 AND state = 'running' AND worker = $5"),
               Params()
                   .Add(stage)
                   .Add(std::clamp(progress, 0.0, 1.0))
                   .Add(lease_ms)
                   .Add(id)
                   .Add(worker)));
    return changed == 1 ? absl::OkStatus() : NotHeld(s, id, worker);
  });
}

absl::Status PostgresStore::Finish(const std::string& id, const std::string& worker,
                                   const Analysis& f) {
  return RunStatus(absl::StrCat("finish '", id, "'"), [&](Session& s) -> absl::Status {
    RETURN_IF_ERROR(s.Begin());
    ASSIGN_OR_RETURN(
        const int changed,
        s.Exec(absl::StrCat("UPDATE analyses SET state = 'done', stage = 'done', progress = 1, "
                            "verdict = $1, fake_probability = $2, reason = $3, message = $4, "
                            "thumbnail = $5, upload_kept = $6, finished_ms = ",
                            kDbNow,
                            ", lease_expires_ms = 0 WHERE id = $7 AND state = 'running' AND "
                            "worker = $8"),
               Params()
                   .Add(f.verdict)
                   .Add(f.fake_probability)
                   .Add(f.reason)
                   .Add(f.message)
                   .Add(f.thumbnail)
                   .Add(f.upload_kept)
                   .Add(id)
                   .Add(worker)));
    if (changed != 1) return NotHeld(s, id, worker);
    RETURN_IF_ERROR(s.Exec("INSERT INTO results (id, result_json) VALUES ($1, $2) ON CONFLICT "
                           "(id) DO UPDATE SET result_json = EXCLUDED.result_json",
                           Params().Add(id).Add(f.result_json))
                        .status());
    return s.Commit();
  });
}

absl::Status PostgresStore::Fail(const std::string& id, const std::string& worker,
                                 const std::string& reason, const std::string& message) {
  return RunStatus(absl::StrCat("fail '", id, "'"), [&](Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(
        const int changed,
        s.Exec(absl::StrCat("UPDATE analyses SET state = $1, reason = $2, message = $3, "
                            "finished_ms = ",
                            kDbNow,
                            ", lease_expires_ms = 0 WHERE id = $4 AND state = 'running' AND "
                            "worker = $5"),
               Params()
                   .Add(reason == "canceled" ? "canceled" : "failed")
                   .Add(reason)
                   .Add(message)
                   .Add(id)
                   .Add(worker)));
    return changed == 1 ? absl::OkStatus() : NotHeld(s, id, worker);
  });
}

absl::Status PostgresStore::Cancel(const std::string& id) {
  return RunStatus(absl::StrCat("cancel '", id, "'"), [&](Session& s) -> absl::Status {
    RETURN_IF_ERROR(s.Begin());
    ASSIGN_OR_RETURN(
        Result r, s.Query("SELECT state FROM analyses WHERE id = $1 FOR UPDATE", Params().Add(id)));
    if (PQntuples(r.get()) == 0) return NotFound(id, "cancel");
    const std::string state = Text(r.get(), 0, 0);
    if (state == "queued") {
      RETURN_IF_ERROR(s.Exec(absl::StrCat("UPDATE analyses SET state = 'canceled', reason = "
                                          "'canceled', message = 'canceled by request', "
                                          "finished_ms = ",
                                          kDbNow, " WHERE id = $1"),
                             Params().Add(id))
                          .status());
    } else if (state == "running") {
      RETURN_IF_ERROR(
          s.Exec("UPDATE analyses SET cancel_requested = TRUE WHERE id = $1", Params().Add(id))
              .status());
    } else {
      return absl::FailedPreconditionError(
          absl::StrCat(describe_, ": ", s.op(), ": the analysis is already ", state));
    }
    return s.Commit();
  });
}

absl::StatusOr<bool> PostgresStore::CancelRequested(const std::string& id) const {
  return Run<bool>(
      absl::StrCat("cancel requested for '", id, "'"), [&](Session& s) -> absl::StatusOr<bool> {
        ASSIGN_OR_RETURN(Result r, s.Query("SELECT cancel_requested OR state = 'canceled' FROM "
                                           "analyses WHERE id = $1",
                                           Params().Add(id)));
        if (PQntuples(r.get()) == 0) return NotFound(id, "cancel requested");
        return Bool(r.get(), 0, 0);
      });
}

absl::StatusOr<int> PostgresStore::RecoverInterrupted(int max_attempts) {
  return Run<int>("recover interrupted analyses", [&](Session& s) -> absl::StatusOr<int> {
    RETURN_IF_ERROR(s.Begin());
    ASSIGN_OR_RETURN(Result clock, s.Query(absl::StrCat("SELECT ", kDbNow)));
    RETURN_IF_ERROR(EndUnrunnable(s, Int(clock.get(), 0, 0), /*only_expired=*/false, max_attempts));
    ASSIGN_OR_RETURN(const int requeued,
                     s.Exec("UPDATE analyses SET state = 'queued', stage = 'queued', progress = "
                            "0, lease_expires_ms = 0 WHERE state = 'running'"));
    RETURN_IF_ERROR(s.Commit());
    return requeued;
  });
}

absl::Status PostgresStore::Delete(const std::string& id) {
  return RunStatus(absl::StrCat("delete '", id, "'"), [&](Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(const int changed,
                     s.Exec("DELETE FROM analyses WHERE id = $1", Params().Add(id)));
    return changed == 1 ? absl::OkStatus() : NotFound(id, "delete");
  });
}

absl::StatusOr<std::vector<std::string>> PostgresStore::DeleteAll() {
  using Ids = std::vector<std::string>;
  return Run<Ids>("delete all analyses", [&](Session& s) -> absl::StatusOr<Ids> {
    // One statement: a row inserted meanwhile is either removed and reported, or kept.
    ASSIGN_OR_RETURN(Result r,
                     s.Query("WITH removed AS (DELETE FROM analyses RETURNING id, created_ms) "
                             "SELECT id FROM removed ORDER BY created_ms DESC, id DESC"));
    Ids ids;
    for (int row = 0; row < PQntuples(r.get()); ++row) ids.push_back(Text(r.get(), row, 0));
    return ids;
  });
}

}  // namespace

std::string RedactDatabaseUrl(const std::string& url) {
  // scheme://[user[:password]@]host[:port][/db][?k=v&...]
  std::string out = url;
  const size_t scheme_end = out.find("://");
  if (scheme_end != std::string::npos) {
    const size_t authority = scheme_end + 3;
    const size_t authority_end = out.find_first_of("/?", authority);
    const size_t at =
        out.rfind('@', authority_end == std::string::npos ? std::string::npos : authority_end);
    if (at != std::string::npos && at >= authority) {
      const size_t colon = out.find(':', authority);
      if (colon != std::string::npos && colon < at) out.erase(colon, at - colon);
    }
  }
  const size_t query = out.find('?');
  if (query != std::string::npos) {
    std::vector<std::string> kept;
    for (absl::string_view pair : absl::StrSplit(out.substr(query + 1), '&')) {
      if (!absl::StartsWithIgnoreCase(pair, "password=")) kept.emplace_back(pair);
    }
    out = absl::StrCat(out.substr(0, query), kept.empty() ? "" : "?", absl::StrJoin(kept, "&"));
  }
  return out;
}

bool IsPostgresUrl(const std::string& spec) {
  return absl::StartsWith(spec, "postgresql://") || absl::StartsWith(spec, "postgres://");
}

absl::StatusOr<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url) {
  const std::string describe = RedactDatabaseUrl(url);
  if (!IsPostgresUrl(url)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "database '", describe, "': not a PostgreSQL URL (postgresql://user@host:port/db)"));
  }
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    const std::string message = error != nullptr ? FirstLine(error) : "out of memory";
    PQfreemem(error);
    return absl::InvalidArgumentError(absl::StrCat(describe, ": ", message));
  }
  PQconninfoFree(options);
  auto store = std::make_unique<PostgresStore>(url, describe);
  RETURN_IF_ERROR(store->Open());
  return store;
}

absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& database_spec,
                                                 const std::string& data_dir) {
  if (IsPostgresUrl(database_spec)) return OpenPostgresStore(database_spec);
  if (absl::StrContains(database_spec, "://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("database '", RedactDatabaseUrl(database_spec),
                     "': unknown kind (expected a SQLite file path or a postgresql:// URL)"));
  }
  return OpenSqliteStore(database_spec.empty() ? data_dir + "/history.sqlite3" : database_spec);
}

}  // namespace serve::web
