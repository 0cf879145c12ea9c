// One PostgreSQL server per test process, started by postgres.sh (postgres_fixture.h).
#include "serve/web/testing/postgres_fixture.h"

#include <libpq-fe.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace serve::web::testing {
namespace {

constexpr char kScript[] = "serve/web/testing/postgres.sh";

struct Server {
  std::string url, dir;
  pid_t owner = 0;
  absl::Status status;
};

Server* server = nullptr;  // guarded by Mutex()

std::mutex& Mutex() {
  static auto* mu = new std::mutex;
  return *mu;
}

void StopServer() {
  std::lock_guard<std::mutex> lock(Mutex());
  if (server == nullptr || server->dir.empty() || getpid() != server->owner) return;
  const std::string command = absl::StrCat(kScript, " stop '", server->dir, "'");
  if (std::system(command.c_str()) != 0) {
    std::fprintf(stderr, "postgres_fixture: '%s' failed\n", command.c_str());
  }
  server->dir.clear();
}

}  // namespace

absl::StatusOr<std::string> PostgresServerUrl() {
  std::lock_guard<std::mutex> lock(Mutex());
  if (server == nullptr) {
    server = new Server;
    server->owner = getpid();
    const std::string command = absl::StrCat(kScript, " start ", getpid());
    FILE* pipe = popen(command.c_str(), "r");
    std::string output;
    if (pipe != nullptr) {
      char buffer[1024];
      size_t n;
      while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
      const int rc = pclose(pipe);
      std::vector<std::string> fields =
          absl::StrSplit(absl::StripAsciiWhitespace(output), ' ', absl::SkipEmpty());
      if (rc == 0 && fields.size() == 2) {
        server->url = fields[0];
        server->dir = fields[1];
        std::atexit(StopServer);
      } else {
        server->status = absl::UnavailableError(
            absl::StrCat("postgres_fixture: '", command, "' failed (see the log above)"));
      }
    } else {
      server->status = absl::InternalError(absl::StrCat("postgres_fixture: cannot run ", kScript));
    }
  }
  if (!server->status.ok()) return server->status;
  return server->url;
}

absl::StatusOr<std::vector<std::string>> RawPostgres(const std::string& url,
                                                     const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string message = PQerrorMessage(conn);
    PQfinish(conn);
    return absl::UnavailableError(absl::StrCat(url, ": ", message));
  }
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  PGresult* result = PQexec(conn, sql.c_str());
  const ExecStatusType status = PQresultStatus(result);
  std::vector<std::string> rows;
  absl::Status error;
  if (status == PGRES_TUPLES_OK) {
    for (int row = 0; row < PQntuples(result); ++row) rows.push_back(PQgetvalue(result, row, 0));
  } else if (status != PGRES_COMMAND_OK) {
    error = absl::InternalError(absl::StrCat(url, ": ", sql, ": ", PQresultErrorMessage(result)));
  }
  PQclear(result);
  PQfinish(conn);
  if (!error.ok()) return error;
  return rows;
}

absl::StatusOr<std::string> NewPostgresDatabase() {
  static int counter = 0;
  absl::StatusOr<std::string> url = PostgresServerUrl();
  if (!url.ok()) return url.status();
  std::string name;
  {
    std::lock_guard<std::mutex> lock(Mutex());
    name = absl::StrCat("test_", getpid(), "_", ++counter);
  }
  absl::StatusOr<std::vector<std::string>> created =
      RawPostgres(*url, absl::StrCat("CREATE DATABASE ", name));
  if (!created.ok()) return created.status();
  return absl::StrCat(absl::StripSuffix(*url, "/postgres"), "/", name);
}

}  // namespace serve::web::testing
