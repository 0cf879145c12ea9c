// Each third-party library the project builds on, linked through its third_party/ BUILD
// file and exercised once for real, so a broken package or BUILD file fails here first.
#include <libpq-fe.h>
#include <mpi.h>
#include <sqlite3.h>

#include <Eigen/Dense>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

ABSL_FLAG(int, third_party_test_flag, 7, "a flag to parse");

namespace {

absl::StatusOr<int> ParsePositive(int x) {
  if (x <= 0) return absl::InvalidArgumentError(absl::StrFormat("%d is not positive", x));
  return x;
}

TEST(AbseilTest, StatusStringsSynchronizationTimeFlags) {
  EXPECT_EQ(*ParsePositive(3), 3);
  EXPECT_EQ(ParsePositive(-1).status().message(), "-1 is not positive");
  EXPECT_EQ(absl::StrSplit("a,b,c", ',').operator std::vector<std::string>().size(), 3u);

  absl::Mutex mu;
  int counter = 0;
  std::thread worker([&] {
    absl::MutexLock lock(&mu);
    ++counter;
  });
  worker.join();
  absl::MutexLock lock(&mu);
  EXPECT_EQ(counter, 1);

  EXPECT_GT(absl::Now(), absl::FromUnixSeconds(1'700'000'000));
  EXPECT_EQ(absl::FormatDuration(absl::Milliseconds(1500)), "1.5s");

  char arg0[] = "test", arg1[] = "--third_party_test_flag=42";
  char* argv[] = {arg0, arg1};
  absl::ParseCommandLine(2, argv);
  EXPECT_EQ(absl::GetFlag(FLAGS_third_party_test_flag), 42);
}

TEST(EigenTest, MatrixProduct) {
  Eigen::Matrix2f a;
  a << 1, 2, 3, 4;
  const Eigen::Matrix2f b = a * a;
  EXPECT_EQ(b(1, 1), 22.0f);
}

TEST(JsonTest, RoundTrip) {
  const nlohmann::json j = nlohmann::json::parse(R"({"label": "FAKE", "score": 0.5})");
  EXPECT_EQ(j["label"], "FAKE");
  EXPECT_DOUBLE_EQ(j["score"].get<double>(), 0.5);
}

TEST(SqliteTest, InMemoryQuery) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  char* error = nullptr;
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (41), (1);", nullptr, nullptr,
                         &error),
            SQLITE_OK)
      << error;
  int sum = 0;
  sqlite3_exec(
      db, "SELECT SUM(x) FROM t;",
      [](void* out, int, char** values, char**) {
        *static_cast<int*>(out) = std::stoi(values[0]);
        return 0;
      },
      &sum, nullptr);
  EXPECT_EQ(sum, 42);
  sqlite3_close(db);
}

TEST(HttplibTest, LoopbackRequest) {
  httplib::Server server;
  server.Get("/ping", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("pong", "text/plain");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  // The socket already listens; the client waits in the backlog until accept().
  std::thread serving([&] { server.listen_after_bind(); });
  httplib::Client client("127.0.0.1", port);
  const httplib::Result result = client.Get("/ping");
  server.stop();
  serving.join();
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, "pong");
}

TEST(LibpqTest, LinkedAndRefusesABadConnectionString) {
  EXPECT_GE(PQlibVersion(), 150000);
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse("host=localhost nonsense_key=1", &error);
  EXPECT_EQ(options, nullptr);
  ASSERT_NE(error, nullptr);
  EXPECT_NE(std::string(error).find("nonsense_key"), std::string::npos) << error;
  PQfreemem(error);
}

TEST(MpiTest, LinkedLibraryVersion) {
  // MPI_Get_library_version may be called before MPI_Init; the test is not under mpirun.
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  ASSERT_EQ(MPI_Get_library_version(version, &length), MPI_SUCCESS);
  EXPECT_NE(std::string(version, length).find("Open MPI v4.1"), std::string::npos) << version;
}

}  // namespace
