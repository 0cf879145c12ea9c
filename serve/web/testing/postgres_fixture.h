// A real PostgreSQL server for tests (issue 18), one per test process: started on first use
// by serve/web/testing/postgres.sh (initdb into /tmp, 127.0.0.1 only, a free port), stopped
// when the process exits (or, if it crashed, by the script's watcher). Needs
// `data = ["//serve/web:testing/postgres.sh"]` and PostgreSQL 15 installed.
#ifndef SERVE_WEB_TESTING_POSTGRES_FIXTURE_H_
#define SERVE_WEB_TESTING_POSTGRES_FIXTURE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace serve::web::testing {

// postgresql://deepfake@127.0.0.1:PORT/postgres (trust auth, no password).
absl::StatusOr<std::string> PostgresServerUrl();

// A new empty database on that server (CREATE DATABASE); its URL.
absl::StatusOr<std::string> NewPostgresDatabase();

// Runs one SQL statement on `url` outside any Store; the first column of every row.
absl::StatusOr<std::vector<std::string>> RawPostgres(const std::string& url,
                                                     const std::string& sql);

}  // namespace serve::web::testing

#endif  // SERVE_WEB_TESTING_POSTGRES_FIXTURE_H_
