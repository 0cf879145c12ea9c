// The Store contract (store.h), tested against every engine in Engines(): history queries,
// the job queue (claims, leases, attempts, stale workers), cancel, delete, recovery,
// durability across reopening and across kill -9 of a writing process. SQLite-only
// matters (the file's errors, schema versions) are in SqliteStoreTest at the end.
#include "serve/web/store.h"

#include <linux/capability.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/testing/test_paths.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "serve/web/testing/postgres_fixture.h"

namespace serve::web {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

// An engine under test. `open(dir)` opens the store kept for the test folder `dir`: empty
// the first time in a test, the same data when opened again (another process included).
// `check_integrity(dir)` runs the engine's own consistency check of that store.
struct Engine {
  std::string name;
  std::function<absl::StatusOr<std::unique_ptr<Store>>(const std::string& dir)> open;
  std::function<absl::Status(const std::string& dir)> check_integrity;
};

// Test names and failure messages show the engine's name (not the struct's bytes).
void PrintTo(const Engine& engine, std::ostream* os) { *os << engine.name; }

std::string SqlitePath(const std::string& dir) { return dir + "/history.sqlite3"; }

// One sqlite3 statement on the file, outside the Store; its first column of every row.
absl::StatusOr<std::vector<std::string>> RawSqlite(const std::string& path,
                                                   const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::string message = sqlite3_errmsg(db);
    sqlite3_close_v2(db);
    return absl::InternalError(message);
  }
  sqlite3_busy_timeout(db, 5000);
  std::vector<std::string> rows;
  auto callback = [](void* out, int n, char** values, char**) {
    static_cast<std::vector<std::string>*>(out)->push_back(n > 0 && values[0] != nullptr ? values[0]
                                                                                         : "");
    return 0;
  };
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), callback, &rows, &error);
  std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close_v2(db);
  if (rc != SQLITE_OK) return absl::InternalError(message);
  return rows;
}

// The database of test folder `dir`: created on the first call for it (a test's SetUp, in
// the test process; forked children inherit the map).
absl::StatusOr<std::string> PostgresUrlFor(const std::string& dir) {
  static auto* mu = new std::mutex;
  static auto* urls = new std::map<std::string, std::string>;
  std::lock_guard<std::mutex> lock(*mu);
  auto it = urls->find(dir);
  if (it != urls->end()) return it->second;
  absl::StatusOr<std::string> url = testing::NewPostgresDatabase();
  if (!url.ok()) return url.status();
  (*urls)[dir] = *url;
  return *url;
}

std::vector<Engine> Engines() {
  return {
      {"sqlite", [](const std::string& dir) { return OpenSqliteStore(SqlitePath(dir)); },
       [](const std::string& dir) -> absl::Status {
         absl::StatusOr<std::vector<std::string>> rows =
             RawSqlite(SqlitePath(dir), "PRAGMA integrity_check");
         if (!rows.ok()) return rows.status();
         if (*rows != std::vector<std::string>{"ok"}) {
           return absl::DataLossError(absl::StrCat("integrity_check: ", (*rows)[0]));
         }
         rows = RawSqlite(SqlitePath(dir), "PRAGMA foreign_key_check");
         if (!rows.ok()) return rows.status();
         if (!rows->empty()) return absl::DataLossError("foreign_key_check found orphans");
         return absl::OkStatus();
       }},
      // One server for the binary (postgres_fixture.h), a fresh database per test folder.
      {"postgresql",
       [](const std::string& dir) -> absl::StatusOr<std::unique_ptr<Store>> {
         absl::StatusOr<std::string> url = PostgresUrlFor(dir);
         if (!url.ok()) return url.status();
         return OpenPostgresStore(*url);
       },
       [](const std::string& dir) -> absl::Status {
         absl::StatusOr<std::string> url = PostgresUrlFor(dir);
         if (!url.ok()) return url.status();
         absl::StatusOr<std::vector<std::string>> orphans = testing::RawPostgres(
             *url,
             "SELECT COUNT(*) FROM results r LEFT JOIN analyses a ON a.id = r.id "
             "WHERE a.id IS NULL");
         if (!orphans.ok()) return orphans.status();
         if (*orphans != std::vector<std::string>{"0"}) {
           return absl::DataLossError("results without their analysis");
         }
         return absl::OkStatus();
       }},
  };
}

// A queued analysis as the server inserts it.
Analysis Queued(const std::string& id, int64_t created_ms, const std::string& file_name = "") {
  Analysis a;
  a.id = id;
  a.file_name = file_name.empty() ? id + ".mp4" : file_name;
  a.dir = "analyses/" + id;
  a.size_bytes = 1000 + created_ms % 1000;
  a.content_type = "video/mp4";
  a.state = JobState::kQueued;
  a.stage = "queued";
  a.created_ms = created_ms;
  return a;
}

// What a worker reports when done.
Analysis Result(const std::string& verdict, double probability) {
  Analysis a;
  a.verdict = verdict;
  a.fake_probability = probability;
  a.result_json = absl::StrCat("{\"verdict\": \"", verdict, "\"}");
  a.thumbnail = "thumbnail.png";
  return a;
}

std::vector<std::string> Ids(const ListPage& page) {
  std::vector<std::string> ids;
  for (const Analysis& a : page.items) ids.push_back(a.id);
  return ids;
}

// `processes` processes open a new store at the same moment (`open`, in each child) and
// insert one queued job each ("p0", "p1", ...); every one must succeed.
void OpenAndInsertInProcesses(const std::function<absl::StatusOr<std::unique_ptr<Store>>()>& open,
                              int processes) {
  std::vector<pid_t> children;
  for (int p = 0; p < processes; ++p) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      absl::StatusOr<std::unique_ptr<Store>> store = open();
      if (!store.ok()) {
        std::fprintf(stderr, "%s\n", std::string(store.status().message()).c_str());
        _exit(2);
      }
      _exit((*store)->Insert(Queued(absl::StrCat("p", p), p + 1)).ok() ? 0 : 3);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }
}

class StoreTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    dir_ = base::testing::TestTempDir();
    store_ = Open();
  }
  std::unique_ptr<Store> Open() {
    absl::StatusOr<std::unique_ptr<Store>> store = GetParam().open(dir_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
  // Runs a job through claim -> finish with `verdict` (the only queued job).
  void RunToDone(const std::string& id, const std::string& verdict, double probability) {
    absl::StatusOr<std::optional<Analysis>> claimed = store_->Claim("w", 60000, 3);
    ASSERT_TRUE(claimed.ok()) << claimed.status();
    ASSERT_TRUE(claimed->has_value());
    ASSERT_EQ((*claimed)->id, id);
    ASSERT_TRUE(store_->Finish(id, "w", Result(verdict, probability)).ok());
  }
  JobState StateOf(const std::string& id) {
    absl::StatusOr<Analysis> a = store_->Get(id);
    EXPECT_TRUE(a.ok()) << a.status();
    return a.ok() ? a->state : JobState::kQueued;
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, InsertThenGetReturnsEveryField) {
  ASSERT_NE(store_, nullptr);
  Analysis a = Queued("0123456789abcdef0123456789abcdef", 1700000000123, "Interview 1.mp4");
  a.upload_kept = true;
  a.size_bytes = 123456789012;
  a.content_type = "video/webm";
  a.state = JobState::kDone;
  a.stage = "done";
  a.progress = 1;
  a.verdict = "FAKE";
  a.fake_probability = 0.9375;
  a.reason = "";
  a.message = "ünïcode ✓ and 'quotes' \"too\"";
  a.result_json = std::string("{\"frames\": [") + std::string(100000, ' ') + "]}";
  a.thumbnail = "thumb.png";
  a.started_ms = 1700000000200;
  a.finished_ms = 1700000000300;
  a.attempts = 2;
  a.worker = "host:12:3";
  a.lease_expires_ms = 0;
  ASSERT_TRUE(store_->Insert(a).ok());

  absl::StatusOr<Analysis> got = store_->Get(a.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->id, a.id);
  EXPECT_EQ(got->file_name, a.file_name);
  EXPECT_EQ(got->dir, a.dir);
  EXPECT_EQ(got->upload_kept, true);
  EXPECT_EQ(got->size_bytes, a.size_bytes);
  EXPECT_EQ(got->content_type, a.content_type);
  EXPECT_EQ(got->state, JobState::kDone);
  EXPECT_EQ(got->stage, "done");
  EXPECT_EQ(got->progress, 1);
  EXPECT_EQ(got->verdict, "FAKE");
  EXPECT_EQ(got->fake_probability, 0.9375);
  EXPECT_EQ(got->message, a.message);
  EXPECT_EQ(got->result_json, a.result_json);
  EXPECT_EQ(got->thumbnail, a.thumbnail);
  EXPECT_EQ(got->created_ms, a.created_ms);
  EXPECT_EQ(got->started_ms, a.started_ms);
  EXPECT_EQ(got->finished_ms, a.finished_ms);
  EXPECT_EQ(got->attempts, 2);
  EXPECT_EQ(got->worker, a.worker);
}

TEST_P(StoreTest, InsertRejectsAUsedIdAndGetNamesAMissingOne) {
  ASSERT_NE(store_, nullptr);
  ASSERT_TRUE(store_->Insert(Queued("aa", 1)).ok());
  absl::Status again = store_->Insert(Queued("aa", 2, "other.mp4"));
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists) << again;
  EXPECT_EQ(store_->Get("aa")->file_name, "aa.mp4");  // unchanged
  absl::StatusOr<Analysis> missing = store_->Get("bb");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("'bb'"));
  EXPECT_THAT(missing.status().message(), HasSubstr(store_->Describe()));
  EXPECT_EQ(store_->Insert(Queued("", 3)).code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(StoreTest, ListIsNewestFirstPaginatedWithTotalAndNoResult) {
  ASSERT_NE(store_, nullptr);
  // 25 analyses; 10..14 share one created_ms: ties go by id, descending.
  std::vector<std::string> expected;
  for (int i = 0; i < 25; ++i) {
    const std::string id = absl::StrCat("id", 10 + i);
    Analysis a = Queued(id, i >= 10 && i < 15 ? 10500 : 1000 * i + 1);
    a.result_json = "{}";
    ASSERT_TRUE(store_->Insert(a).ok());
    expected.insert(expected.begin(), id);
  }
  std::vector<std::string> seen;
  for (int offset = 0; offset < 30; offset += 10) {
    absl::StatusOr<ListPage> page = store_->List({.offset = offset, .limit = 10});
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->total, 25);
    EXPECT_EQ(page->items.size(), offset < 20 ? 10u : 5u);
    for (const Analysis& a : page->items) {
      EXPECT_EQ(a.result_json, "") << "lists carry no result";
      seen.push_back(a.id);
    }
  }
  EXPECT_EQ(seen, expected);
  absl::StatusOr<ListPage> past = store_->List({.offset = 100, .limit = 10});
  ASSERT_TRUE(past.ok());
  EXPECT_THAT(past->items, IsEmpty());
  EXPECT_EQ(past->total, 25);
  for (int bad : {0, 201, -1}) {
    EXPECT_EQ(store_->List({.limit = bad}).status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(store_->List({.offset = -1}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_->List({.limit = 200}).ok());
}

TEST_P(StoreTest, ListFiltersByNameStateVerdictAndDates) {
  ASSERT_NE(store_, nullptr);
  ASSERT_TRUE(store_->Insert(Queued("a1", 1000, "Interview_Final.MP4")).ok());
  ASSERT_TRUE(store_->Insert(Queued("a2", 2000, "interviewXfinal.mp4")).ok());
  ASSERT_TRUE(store_->Insert(Queued("a3", 3000, "100% real.mov")).ok());
  ASSERT_TRUE(store_->Insert(Queued("a4", 4000, "1000 real.mov")).ok());
  ASSERT_TRUE(store_->Insert(Queued("a5", 5000, "back\\slash.webm")).ok());
  RunToDone("a1", "FAKE", 0.9);
  RunToDone("a2", "REAL", 0.1);
  RunToDone("a3", "FAKE", 0.8);
  // a4, a5 stay queued.

  auto list = [&](ListQuery query) {
    absl::StatusOr<ListPage> page = store_->List(query);
    EXPECT_TRUE(page.ok()) << page.status();
    if (page.ok()) {
      EXPECT_EQ(page->total, static_cast<int64_t>(page->items.size()));
    }
    return page.ok() ? Ids(*page) : std::vector<std::string>{"error"};
  };
  EXPECT_THAT(list({.name_contains = "interview"}), ElementsAre("a2", "a1"));
  EXPECT_THAT(list({.name_contains = "INTERVIEW_F"}), ElementsAre("a1"));  // _ is literal
  EXPECT_THAT(list({.name_contains = "0% "}), ElementsAre("a3"));          // % is literal
  EXPECT_THAT(list({.name_contains = "\\"}), ElementsAre("a5"));
  EXPECT_THAT(list({.name_contains = "real.mov"}), ElementsAre("a4", "a3"));
  EXPECT_THAT(list({.name_contains = "nothing"}), IsEmpty());
  EXPECT_THAT(list({.state = JobState::kQueued}), ElementsAre("a5", "a4"));
  EXPECT_THAT(list({.state = JobState::kDone}), ElementsAre("a3", "a2", "a1"));
  EXPECT_THAT(list({.state = JobState::kFailed}), IsEmpty());
  EXPECT_THAT(list({.verdict = "FAKE"}), ElementsAre("a3", "a1"));
  EXPECT_THAT(list({.verdict = "REAL"}), ElementsAre("a2"));
  EXPECT_THAT(list({.created_from_ms = 2000}), ElementsAre("a5", "a4", "a3", "a2"));
  EXPECT_THAT(list({.created_to_ms = 2000}), ElementsAre("a2", "a1"));
  EXPECT_THAT(list({.created_from_ms = 2000, .created_to_ms = 4000}),
              ElementsAre("a4", "a3", "a2"));
  EXPECT_THAT(
      list(
          {.name_contains = "i", .verdict = "FAKE", .created_from_ms = 500, .created_to_ms = 1500}),
      ElementsAre("a1"));
  // Filtered and paginated: total counts every match.
  absl::StatusOr<ListPage> page = store_->List({.state = JobState::kDone, .offset = 1, .limit = 1});
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(Ids(*page), ElementsAre("a2"));
  EXPECT_EQ(page->total, 3);
}

TEST_P(StoreTest, CountsByStateAndVerdict) {
  ASSERT_NE(store_, nullptr);
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(store_->Insert(Queued(absl::StrCat("c", i), i + 1)).ok());
  RunToDone("c0", "REAL", 0.1);
  RunToDone("c1", "FAKE", 0.9);
  RunToDone("c2", "UNDETERMINED", -1);
  ASSERT_TRUE(store_->Claim("w", 60000, 3).ok());  // c3 running
  ASSERT_TRUE(store_->Fail("c3", "w", "unreadable", "bad file").ok());
  ASSERT_TRUE(store_->Cancel("c4").ok());
  ASSERT_TRUE(store_->Claim("w", 60000, 3).ok());  // c5 running
  absl::StatusOr<StoreCounts> counts = store_->Counts();
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->queued, 1);
  EXPECT_EQ(counts->running, 1);
  EXPECT_EQ(counts->done, 3);
  EXPECT_EQ(counts->failed, 1);
  EXPECT_EQ(counts->canceled, 1);
  EXPECT_EQ(counts->real, 1);
  EXPECT_EQ(counts->fake, 1);
  EXPECT_EQ(counts->undetermined, 1);
}

TEST_P(StoreTest, QueuePositionCountsQueuedJobsAhead) {
  ASSERT_NE(store_, nullptr);
  ASSERT_TRUE(store_->Insert(Queued("q1", 100)).ok());
  ASSERT_TRUE(store_->Insert(Queued("q3", 200)).ok());
  ASSERT_TRUE(store_->Insert(Queued("q2", 200)).ok());  // same time: id order
  ASSERT_TRUE(store_->Insert(Queued("q4", 300)).ok());
  EXPECT_EQ(*store_->QueuePosition("q1"), 1);
  EXPECT_EQ(*store_->QueuePosition("q2"), 2);
  EXPECT_EQ(*store_->QueuePosition("q3"), 3);
  EXPECT_EQ(*store_->QueuePosition("q4"), 4);
  ASSERT_TRUE(store_->Claim("w", 60000, 3).ok());  // q1
  ASSERT_TRUE(store_->Cancel("q3").ok());
  EXPECT_EQ(*store_->QueuePosition("q1"), 0);  // running
  EXPECT_EQ(*store_->QueuePosition("q2"), 1);
  EXPECT_EQ(*store_->QueuePosition("q3"), 0);  // canceled
  EXPECT_EQ(*store_->QueuePosition("q4"), 2);
  EXPECT_EQ(store_->QueuePosition("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(StoreTest, ClaimTakesTheOldestAndSetsTheLease) {
  ASSERT_NE(store_, nullptr);
  absl::StatusOr<std::optional<Analysis>> none = store_->Claim("w1", 60000, 3);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(store_->Insert(Queued("j3", 300)).ok());
  ASSERT_TRUE(store_->Insert(Queued("j2", 100)).ok());
  ASSERT_TRUE(store_->Insert(Queued("j1", 100)).ok());
  std::vector<std::string> order;
  for (int i = 0; i < 3; ++i) {
    const int64_t before = NowMs();
    absl::StatusOr<std::optional<Analysis>> claimed = store_->Claim("w1", 60000, 3);
    ASSERT_TRUE(claimed.ok()) << claimed.status();
    ASSERT_TRUE(claimed->has_value());
    const Analysis& a = **claimed;
    order.push_back(a.id);
    EXPECT_EQ(a.state, JobState::kRunning);
    EXPECT_EQ(a.worker, "w1");
    EXPECT_EQ(a.attempts, 1);
    EXPECT_GE(a.started_ms, before);
    EXPECT_GE(a.lease_expires_ms, before + 60000);
    EXPECT_LE(a.lease_expires_ms, NowMs() + 60000);
    EXPECT_EQ(StateOf(a.id), JobState::kRunning);
  }
  EXPECT_THAT(order, ElementsAre("j1", "j2", "j3"));
  EXPECT_FALSE(store_->Claim("w2", 60000, 3)->has_value()) << "all leases are held";
}

TEST_P(StoreTest, ConcurrentWorkersClaimEachJobExactlyOnce) {
  ASSERT_NE(store_, nullptr);
  constexpr int kJobs = 120, kThreads = 8;
  std::vector<std::string> ids;
  for (int i = 0; i < kJobs; ++i) {
    ids.push_back(absl::StrCat("job", 1000 + i));
    ASSERT_TRUE(store_->Insert(Queued(ids.back(), i)).ok());
  }
  std::mutex mu;
  std::vector<std::string> claimed;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string worker = absl::StrCat("host:1:", t);
      while (true) {
        absl::StatusOr<std::optional<Analysis>> job = store_->Claim(worker, 60000, 3);
        if (!job.ok()) {
          ++errors;
          return;
        }
        if (!job->has_value()) return;
        {
          std::lock_guard<std::mutex> lock(mu);
          claimed.push_back((*job)->id);
        }
        // Meanwhile the HTTP threads read.
        if (!store_->Progress((*job)->id, worker, "scoring", 0.5, 60000).ok()) ++errors;
        if (!store_->List({.limit = 5}).ok()) ++errors;
        if (!store_->Finish((*job)->id, worker, Result("REAL", 0.2)).ok()) ++errors;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_THAT(claimed, UnorderedElementsAreArray(ids));  // each exactly once
  absl::StatusOr<StoreCounts> counts = store_->Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->done, kJobs);
  for (const std::string& id : ids) EXPECT_EQ(store_->Get(id)->attempts, 1) << id;
}

// Several servers on one database (issue 18's fleet; for SQLite, a restarted server that
// overlaps its predecessor): processes claim concurrently, each job goes to exactly one.
TEST_P(StoreTest, ConcurrentProcessesClaimEachJobExactlyOnce) {
  ASSERT_NE(store_, nullptr);
  constexpr int kJobs = 60, kProcesses = 3;
  std::vector<std::string> ids;
  for (int i = 0; i < kJobs; ++i) {
    ids.push_back(absl::StrCat("pjob", 1000 + i));
    ASSERT_TRUE(store_->Insert(Queued(ids.back(), i + 1)).ok());
  }
  store_.reset();  // no connection crosses fork
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(pipe_fds[0]);
      absl::StatusOr<std::unique_ptr<Store>> store = GetParam().open(dir_);
      if (!store.ok()) _exit(2);
      const std::string worker = absl::StrCat("host:", getpid(), ":0");
      while (true) {
        absl::StatusOr<std::optional<Analysis>> job = (*store)->Claim(worker, 60000, 3);
        if (!job.ok()) _exit(3);
        if (!job->has_value()) break;
        if (!(*store)->Finish((*job)->id, worker, Result("REAL", 0.1)).ok()) _exit(4);
        const std::string line = (*job)->id + "\n";  // short: one atomic pipe write
        if (write(pipe_fds[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
          _exit(5);
        }
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  close(pipe_fds[1]);
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof buffer)) > 0) text.append(buffer, n);
  close(pipe_fds[0]);
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }
  std::vector<std::string> claimed = absl::StrSplit(text, '\n', absl::SkipEmpty());
  EXPECT_THAT(claimed, UnorderedElementsAreArray(ids));
  store_ = Open();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->Counts()->done, kJobs);
  for (const std::string& id : ids) EXPECT_EQ(store_->Get(id)->attempts, 1) << id;
}

TEST_P(StoreTest, ExpiredLeaseIsReclaimedAndTheStaleWorkerIsRejected) {
  ASSERT_NE(store_, nullptr);
  ASSERT_TRUE(store_->Insert(Queued("x", 1)).ok());
  absl::StatusOr<std::optional<Analysis>> first = store_->Claim("dead", 1, 3);
  ASSERT_TRUE(first.ok() && first->has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  absl::StatusOr<std::optional<Analysis>> second = store_->Claim("alive", 60000, 3);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_TRUE(second->has_value()) << "an expired lease is claimable";
  EXPECT_EQ((*second)->id, "x");
  EXPECT_EQ((*second)->attempts, 2);
  EXPECT_EQ((*second)->worker, "alive");

  // The first worker wakes up: nothing it says is written.
  absl::Status progress = store_->Progress("x", "dead", "explaining", 0.9, 60000);
  EXPECT_EQ(progress.code(), absl::StatusCode::kFailedPrecondition) << progress;
  EXPECT_THAT(progress.message(), HasSubstr("'dead'"));
  EXPECT_THAT(progress.message(), HasSubstr("'alive'"));
  EXPECT_EQ(store_->Finish("x", "dead", Result("FAKE", 0.99)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Fail("x", "dead", "unreadable", "x").code(),
            absl::StatusCode::kFailedPrecondition);
  absl::StatusOr<Analysis> now = store_->Get("x");
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->state, JobState::kRunning);
  EXPECT_EQ(now->worker, "alive");
  EXPECT_EQ(now->stage, "decoding");
  EXPECT_EQ(now->verdict, "");
  EXPECT_EQ(now->result_json, "");

  ASSERT_TRUE(store_->Progress("x", "alive", "scoring", 0.5, 60000).ok());
  ASSERT_TRUE(store_->Finish("x", "alive", Result("REAL", 0.25)).ok());
  now = store_->Get("x");
  EXPECT_EQ(now->state, JobState::kDone);
  EXPECT_EQ(now->verdict, "REAL");
  EXPECT_EQ(now->fake_probability, 0.25);
  EXPECT_EQ(now->result_json, Result("REAL", 0.25).result_json);
  EXPECT_EQ(now->progress, 1);
  EXPECT_GT(now->finished_ms, 0);
  // Done is final: the winner cannot write twice either.
  EXPECT_EQ(store_->Finish("x", "alive", Result("FAKE", 0.9)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Get("x")->verdict, "REAL");
}

TEST_P(StoreTest, ProgressRenewsTheLease) {
  ASSERT_NE(store_, nullptr);
  ASSERT_TRUE(store_->Insert(Queued("p", 1)).ok());
  ASSERT_TRUE(store_->Claim("w1", 30, 3).ok());
  ASSERT_TRUE(store_->Progress("p", "w1", "faces", 0.3, 60000).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_FALSE(store_->Claim("w2", 60000, 3)->has_value());
  absl::StatusOr<Analysis> a = store_->Get("p");
  EXPECT_EQ(a->stage, "faces");
  EXPECT_DOUBLE_EQ(a->progress, 0.3);
  EXPECT_EQ(store_->Progress("missing", "w1", "faces", 0.3, 60000).code(),
            absl::StatusCode::kNotFound);
}

TEST_P(StoreTest, AJobThatKeepsDyingFailsAsInterruptedAfterMaxAttempts) {
  ASSERT_NE(store_, nullptr);
  ASSERT_TRUE(store_->Insert(Queued("crashy", 1)).ok());
  ASSERT_TRUE(store_->Insert(Queued("fine", 2)).ok());
  for (int attempt = 1; attempt <= 2; ++attempt) {
    absl::StatusOr<std::optional<Analysis>> job = store_->Claim("w", 1, 2);
    ASSERT_TRUE(job.ok() && job->has_value());
    EXPECT_EQ((*job)->id, "crashy");
    EXPECT_EQ((*job)->attempts, attempt);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // The third claim marks it failed and hands out the next job instead.
  absl::StatusOr<std::optional<Analysis>> next = store_->Claim("w", 60000, 2);
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_EQ((*next)->id, "fine");
  absl::StatusOr<Analysis> crashy = store_->Get("crashy");
  EXPECT_EQ(crashy->state, JobState::kFailed);
  EXPECT_EQ(crashy->reason, "interrupted");
  EXPECT_EQ(crashy->attempts, 2);
  EXPECT_GT(crashy->finished_ms, 0);
  EXPECT_FALSE(store_->Claim("w", 60000, 2)->has_value());
}

TEST_P(StoreTest, CancelQueuedRunningAndFinished) {
  ASSERT_NE(store_, nullptr);
  ASSERT_TRUE(store_->Insert(Queued("run", 1)).ok());
  ASSERT_TRUE(store_->Insert(Queued("wait", 2)).ok());
  ASSERT_TRUE(store_->Claim("w", 60000, 3).ok());  // "run"
  EXPECT_FALSE(*store_->CancelRequested("run"));
  EXPECT_FALSE(*store_->CancelRequested("wait"));

  ASSERT_TRUE(store_->Cancel("wait").ok());
  absl::StatusOr<Analysis> wait = store_->Get("wait");
  EXPECT_EQ(wait->state, JobState::kCanceled);
  EXPECT_EQ(wait->reason, "canceled");
  EXPECT_TRUE(*store_->CancelRequested("wait"));
  EXPECT_FALSE(store_->Claim("w2", 60000, 3)->has_value()) << "a canceled job is not run";

  ASSERT_TRUE(store_->Cancel("run").ok());
  EXPECT_EQ(StateOf("run"), JobState::kRunning) << "the worker stops it";
  EXPECT_TRUE(*store_->CancelRequested("run"));
  ASSERT_TRUE(store_->Cancel("run").ok()) << "asking twice is fine";
  ASSERT_TRUE(store_->Fail("run", "w", "canceled", "canceled by request").ok());
  EXPECT_EQ(StateOf("run"), JobState::kCanceled);

  for (const char* id : {"run", "wait"}) {
    absl::Status again = store_->Cancel(id);
    EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition) << again;
    EXPECT_THAT(again.message(), HasSubstr("canceled"));
  }
  ASSERT_TRUE(store_->Insert(Queued("done", 3)).ok());
  RunToDone("done", "REAL", 0.1);
  EXPECT_EQ(store_->Cancel("done").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(StateOf("done"), JobState::kDone);
  EXPECT_EQ(store_->Cancel("nope").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->CancelRequested("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(StoreTest, ACanceledRunningJobWhoseWorkerDiedIsNotRerun) {
  ASSERT_NE(store_, nullptr);
  ASSERT_TRUE(store_->Insert(Queued("c", 1)).ok());
  ASSERT_TRUE(store_->Claim("dead", 1, 3).ok());
  ASSERT_TRUE(store_->Cancel("c").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(store_->Claim("w", 60000, 3)->has_value());
  EXPECT_EQ(StateOf("c"), JobState::kCanceled);
}

TEST_P(StoreTest, DeleteAndDeleteAll) {
  ASSERT_NE(store_, nullptr);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(store_->Insert(Queued(absl::StrCat("d", i), i + 1)).ok());
  RunToDone("d0", "FAKE", 0.7);
  ASSERT_TRUE(store_->Claim("w", 60000, 3).ok());  // d1 running
  ASSERT_TRUE(store_->Delete("d0").ok());
  EXPECT_EQ(store_->Get("d0").status().code(), absl::StatusCode::kNotFound);
  absl::Status again = store_->Delete("d0");
  EXPECT_EQ(again.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(again.message(), HasSubstr("'d0'"));
  ASSERT_TRUE(store_->Delete("d1").ok());  // running: its worker learns it is gone
  EXPECT_EQ(store_->Progress("d1", "w", "faces", 0.5, 60000).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Finish("d1", "w", Result("REAL", 0.1)).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->CancelRequested("d1").status().code(), absl::StatusCode::kNotFound);
  // A deleted id may come back (nothing of the old one is left).
  ASSERT_TRUE(store_->Insert(Queued("d0", 9)).ok());
  EXPECT_EQ(store_->Get("d0")->result_json, "");

  absl::StatusOr<std::vector<std::string>> removed = store_->DeleteAll();
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_THAT(*removed, ElementsAre("d0", "d3", "d2"));
  EXPECT_EQ(store_->List({})->total, 0);
  removed = store_->DeleteAll();
  ASSERT_TRUE(removed.ok());
  EXPECT_THAT(*removed, IsEmpty());
}

TEST_P(StoreTest, RecoverInterruptedRequeuesOrFails) {
  ASSERT_NE(store_, nullptr);
  for (const char* id : {"r1", "r2", "r3", "r4", "r5"}) {
    ASSERT_TRUE(store_->Insert(Queued(id, id[1])).ok());
  }
  RunToDone("r1", "REAL", 0.1);
  ASSERT_TRUE(store_->Claim("old", 60000, 3).ok());  // r2, attempt 1
  // r3 was already run twice: its third claim is its last with max_attempts 3.
  ASSERT_TRUE(store_->Claim("old", 1, 3).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(store_->Claim("old", 1, 3).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  absl::StatusOr<std::optional<Analysis>> r3 = store_->Claim("old", 60000, 3);
  ASSERT_TRUE(r3.ok() && r3->has_value());
  ASSERT_EQ((*r3)->id, "r3");
  ASSERT_EQ((*r3)->attempts, 3);
  ASSERT_TRUE(store_->Claim("old", 60000, 3).ok());  // r4
  ASSERT_TRUE(store_->Cancel("r4").ok());
  // r5 queued.

  store_.reset();  // the server dies; a new one starts
  store_ = Open();
  ASSERT_NE(store_, nullptr);
  absl::StatusOr<int> requeued = store_->RecoverInterrupted(3);
  ASSERT_TRUE(requeued.ok()) << requeued.status();
  EXPECT_EQ(*requeued, 1);
  EXPECT_EQ(StateOf("r1"), JobState::kDone);
  absl::StatusOr<Analysis> r2 = store_->Get("r2");
  EXPECT_EQ(r2->state, JobState::kQueued);
  EXPECT_EQ(r2->attempts, 1);
  EXPECT_EQ(r2->progress, 0);
  absl::StatusOr<Analysis> failed = store_->Get("r3");
  EXPECT_EQ(failed->state, JobState::kFailed);
  EXPECT_EQ(failed->reason, "interrupted");
  EXPECT_THAT(failed->message, HasSubstr("interrupted"));
  EXPECT_EQ(StateOf("r4"), JobState::kCanceled);
  EXPECT_EQ(StateOf("r5"), JobState::kQueued);
  EXPECT_EQ(*store_->QueuePosition("r2"), 1);
  EXPECT_EQ(*store_->RecoverInterrupted(3), 0);
  // The re-queued job runs again, as its second attempt.
  absl::StatusOr<std::optional<Analysis>> again = store_->Claim("new", 60000, 3);
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->id, "r2");
  EXPECT_EQ((*again)->attempts, 2);
}

TEST_P(StoreTest, ReopeningSeesEverything) {
  ASSERT_NE(store_, nullptr);
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(store_->Insert(Queued(absl::StrCat("k", 100 + i), i + 1)).ok());
  }
  for (int i = 0; i < 10; ++i) RunToDone(absl::StrCat("k", 100 + i), "FAKE", 0.5 + i / 100.0);
  ASSERT_TRUE(store_->Claim("w", 60000, 3).ok());
  ASSERT_TRUE(store_->Cancel("k129").ok());
  ASSERT_TRUE(store_->Delete("k128").ok());
  absl::StatusOr<ListPage> before = store_->List({.limit = 200});
  ASSERT_TRUE(before.ok());
  std::map<std::string, std::string> results;
  for (int i = 0; i < 10; ++i) {
    const std::string id = absl::StrCat("k", 100 + i);
    results[id] = store_->Get(id)->result_json;
  }
  store_.reset();

  store_ = Open();
  ASSERT_NE(store_, nullptr);
  absl::StatusOr<ListPage> after = store_->List({.limit = 200});
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_EQ(after->total, 29);
  ASSERT_EQ(Ids(*after), Ids(*before));
  for (size_t i = 0; i < after->items.size(); ++i) {
    const Analysis &a = after->items[i], &b = before->items[i];
    EXPECT_EQ(a.state, b.state) << a.id;
    EXPECT_EQ(a.verdict, b.verdict) << a.id;
    EXPECT_EQ(a.fake_probability, b.fake_probability) << a.id;
    EXPECT_EQ(a.attempts, b.attempts) << a.id;
    EXPECT_EQ(a.worker, b.worker) << a.id;
    EXPECT_EQ(a.lease_expires_ms, b.lease_expires_ms) << a.id;
  }
  for (const auto& [id, json] : results) EXPECT_EQ(store_->Get(id)->result_json, json) << id;
  EXPECT_EQ(StateOf("k110"), JobState::kRunning);
  EXPECT_EQ(StateOf("k129"), JobState::kCanceled);
}

// A child process inserts, claims, updates and finishes jobs as fast as it can, reporting
// each write after it returned; it is killed with SIGKILL mid-stream. Every write it
// reported is there, the database is consistent, and nothing is half-written (a job is
// either done with its result or not done at all).
TEST_P(StoreTest, KillNineWhileWritingLosesNothingAcknowledged) {
  ASSERT_NE(store_, nullptr);
  store_.reset();  // the child opens its own (no connection crosses fork)
  for (int round = 0; round < 3; ++round) {
    const int kill_after = 15 + 40 * round;  // acknowledged writes before the kill
    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(pipe_fds[0]);
      absl::StatusOr<std::unique_ptr<Store>> store = GetParam().open(dir_);
      if (!store.ok()) _exit(2);
      auto report = [&](const std::string& line) {
        const std::string text = line + "\n";
        if (write(pipe_fds[1], text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
          _exit(3);
        }
      };
      const std::string worker = absl::StrCat("child:", getpid());
      for (int i = 0;; ++i) {
        const std::string id = absl::StrCat("r", round, "_", 10000 + i);
        Analysis a = Queued(id, NowMs());
        if (!(*store)->Insert(a).ok()) _exit(4);
        report("I " + id);
        absl::StatusOr<std::optional<Analysis>> job = (*store)->Claim(worker, 60000, 3);
        if (!job.ok() || !job->has_value()) _exit(5);
        if (!(*store)->Progress((*job)->id, worker, "scoring", 0.5, 60000).ok()) _exit(7);
        report("P " + (*job)->id);
        Analysis result = Result("FAKE", 0.75);
        result.result_json = absl::StrCat("{\"id\": \"", (*job)->id, "\", \"pad\": \"",
                                          std::string(3000, 'x'), "\"}");
        if (!(*store)->Finish((*job)->id, worker, result).ok()) _exit(6);
        report("F " + (*job)->id);
      }
    }
    close(pipe_fds[1]);
    FILE* acks = fdopen(pipe_fds[0], "r");
    ASSERT_NE(acks, nullptr);
    std::set<std::string> inserted, progressed, finished;
    auto record = [&](std::string text) {
      if (!text.empty() && text.back() == '\n') text.pop_back();
      (text[0] == 'I' ? inserted : text[0] == 'P' ? progressed : finished).insert(text.substr(2));
    };
    char line[256];
    while (static_cast<int>(inserted.size() + finished.size()) < kill_after &&
           fgets(line, sizeof line, acks) != nullptr) {
      record(line);
    }
    kill(pid, SIGKILL);
    // Writes reported after we stopped reading are acknowledged too.
    while (fgets(line, sizeof line, acks) != nullptr) {
      record(line);
    }
    fclose(acks);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child stopped by itself with status " << status;
    ASSERT_GE(static_cast<int>(inserted.size() + finished.size()), kill_after);

    ASSERT_TRUE(GetParam().check_integrity(dir_).ok()) << GetParam().check_integrity(dir_);
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    for (const std::string& id : inserted) {
      absl::StatusOr<Analysis> a = store->Get(id);
      ASSERT_TRUE(a.ok()) << "round " << round << ": acknowledged insert lost: " << a.status();
      if (a->state == JobState::kDone) {
        EXPECT_EQ(a->verdict, "FAKE") << id;
        EXPECT_THAT(a->result_json, HasSubstr(id)) << id;
        EXPECT_EQ(a->result_json.size(), 3000 + 21 + id.size()) << id;
      } else {
        EXPECT_FALSE(finished.count(id)) << "acknowledged finish lost: " << id;
        if (progressed.count(id)) {  // progress commits without its own fsync: still there
          EXPECT_EQ(a->stage, "scoring") << id;
          EXPECT_EQ(a->progress, 0.5) << id;
        }
        EXPECT_EQ(a->result_json, "") << id;
      }
    }
    // Whatever the child was doing when it died: at most one job is mid-way, and recovery
    // re-queues it.
    absl::StatusOr<StoreCounts> counts = store->Counts();
    ASSERT_TRUE(counts.ok());
    EXPECT_LE(counts->running, 1);
    EXPECT_LE(counts->queued, 1);
    EXPECT_GE(counts->done, static_cast<int64_t>(finished.size()));
    ASSERT_TRUE(store->RecoverInterrupted(3).ok());
    EXPECT_EQ(store->Counts()->running, 0);
    // The next round starts with an empty queue.
    while (true) {
      absl::StatusOr<std::optional<Analysis>> job = store->Claim("cleanup", 60000, 3);
      ASSERT_TRUE(job.ok()) << job.status();
      if (!job->has_value()) break;
      ASSERT_TRUE(store->Finish((*job)->id, "cleanup", Result("REAL", 0.1)).ok());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, StoreTest, ::testing::ValuesIn(Engines()),
                         [](const ::testing::TestParamInfo<Engine>& info) {
                           return info.param.name;
                         });

// --- SQLite only: the file.

TEST(JobStateTest, NamesRoundTrip) {
  for (JobState state : {JobState::kQueued, JobState::kRunning, JobState::kDone, JobState::kFailed,
                         JobState::kCanceled}) {
    absl::StatusOr<JobState> parsed = ParseJobState(JobStateName(state));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, state);
  }
  EXPECT_STREQ(JobStateName(JobState::kCanceled), "canceled");
  absl::StatusOr<JobState> bad = ParseJobState("Done");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("'Done'"));
}

TEST(SqliteStoreTest, CreatesAVersionedWalDatabase) {
  const std::string path = base::testing::TestTempPath("h.sqlite3");
  absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(path);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->Describe(), "sqlite:" + path);
  EXPECT_FALSE((*store)->SharedByServers());
  ASSERT_TRUE((*store)->Insert(Queued("a", 1)).ok());
  EXPECT_THAT(*RawSqlite(path, "PRAGMA journal_mode"), ElementsAre("wal"));
  EXPECT_THAT(*RawSqlite(path, "SELECT MAX(version) FROM schema_version"), ElementsAre("1"));
  EXPECT_THAT(*RawSqlite(path,
                         "SELECT name FROM sqlite_master WHERE type = 'index' AND "
                         "name LIKE 'analyses_by_%' ORDER BY name"),
              ElementsAre("analyses_by_created", "analyses_by_state", "analyses_by_verdict"));
  store->reset();
  // Reopening an up-to-date database migrates nothing.
  store = OpenSqliteStore(path);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_THAT(*RawSqlite(path, "SELECT COUNT(*) FROM schema_version"), ElementsAre("1"));
}

// Servers started at once on a new file (a restart overlapping its predecessor): every one
// opens it, and the schema is created once.
TEST(SqliteStoreTest, ProcessesOpeningANewFileAtOnceMigrateItOnce) {
  const std::string path = base::testing::TestTempPath("h.sqlite3");
  OpenAndInsertInProcesses([&] { return OpenSqliteStore(path); }, 4);
  EXPECT_THAT(*RawSqlite(path, "SELECT version FROM schema_version"), ElementsAre("1"));
  EXPECT_THAT(*RawSqlite(path, "SELECT id FROM analyses ORDER BY id"),
              ElementsAre("p0", "p1", "p2", "p3"));
}

TEST(SqliteStoreTest, ListQueriesUseTheIndexes) {
  const std::string path = base::testing::TestTempPath("h.sqlite3");
  ASSERT_TRUE(OpenSqliteStore(path).ok());
  auto plan = [&](const std::string& where) {
    sqlite3* db = nullptr;
    sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* stmt = nullptr;
    const std::string sql = "EXPLAIN QUERY PLAN SELECT a.id FROM analyses a WHERE " + where +
                            " ORDER BY a.created_ms DESC, a.id DESC LIMIT 20";
    std::string details;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
      while (sqlite3_step(stmt) == SQLITE_ROW) {
        details += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
        details += "; ";
      }
    }
    sqlite3_finalize(stmt);
    sqlite3_close_v2(db);
    return details;
  };
  EXPECT_THAT(plan("1"), HasSubstr("analyses_by_created"));
  EXPECT_THAT(plan("a.verdict = 'FAKE'"), HasSubstr("analyses_by_verdict"));
  EXPECT_THAT(plan("a.state = 'queued'"), HasSubstr("analyses_by_state"));
  for (const char* where : {"1", "a.verdict = 'FAKE'", "a.state = 'queued'"}) {
    EXPECT_THAT(plan(where), ::testing::Not(HasSubstr("TEMP B-TREE"))) << where;
  }
}

TEST(SqliteStoreTest, ANonDatabaseFileIsReportedAndLeftAlone) {
  const std::string path = base::testing::TestTempPath("notes.txt");
  const std::string content(5000, 'n');
  std::ofstream(path) << content;
  absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr(path));
  EXPECT_THAT(store.status().message(), HasSubstr("not a SQLite database"));
  std::ifstream in(path);
  std::string after((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(after, content);
}

TEST(SqliteStoreTest, AnotherProgramsDatabaseIsRefused) {
  const std::string path = base::testing::TestTempPath("other.sqlite3");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE photos (name TEXT)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr(path));
  EXPECT_THAT(store.status().message(), HasSubstr("no schema_version"));
  EXPECT_THAT(*RawSqlite(path, "SELECT COUNT(*) FROM sqlite_master"), ElementsAre("1"));
}

TEST(SqliteStoreTest, ANewerSchemaIsRefusedNamingTheVersions) {
  const std::string path = base::testing::TestTempPath("h.sqlite3");
  ASSERT_TRUE(OpenSqliteStore(path).ok());
  ASSERT_TRUE(RawSqlite(path, "INSERT INTO schema_version VALUES (7, 0)").ok());
  absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr(path));
  EXPECT_THAT(store.status().message(), HasSubstr("schema version 7"));
  EXPECT_THAT(store.status().message(), HasSubstr("up to 1"));
}

TEST(SqliteStoreTest, AMissingFolderIsNamed) {
  const std::string path = base::testing::TestTempPath("no/such/folder/h.sqlite3");
  absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(store.status().message(), HasSubstr(path));
  EXPECT_THAT(store.status().message(), HasSubstr("does not exist"));
  const std::string folder = base::testing::TestTempDir("a_folder");
  store = OpenSqliteStore(folder);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr(folder));
}

// Root (as tests often run, in a container or Bazel's sandbox) writes anywhere: the calling
// thread gives up the capabilities that override file permissions (it keeps them permitted;
// a forked child does this). False on failure, with errno set.
bool DropFilePermissionOverrides() {
  __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  for (int cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER}) {
    data[cap / 32].effective &= ~(1u << (cap % 32));
  }
  return syscall(SYS_capset, &header, data) == 0;
}

// A database in a read-only folder (its -wal and -shm files cannot be made there) and a
// read-only database file, opened by a child process without root's permission overrides, by a
// relative path from inside the folder's parent; it reports the status message through a pipe.
TEST(SqliteStoreTest, AnUnwritableFolderIsNamed) {
  const std::string parent = base::testing::TestTempDir("parent");
  const std::string folder = parent + "/readonly";
  ASSERT_EQ(mkdir(folder.c_str(), 0555), 0);
  ASSERT_EQ(chmod(folder.c_str(), 0555), 0);
  ASSERT_TRUE(OpenSqliteStore(parent + "/readonly.sqlite3").ok());
  ASSERT_EQ(chmod((parent + "/readonly.sqlite3").c_str(), 0444), 0);
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(pipe_fds[0]);
    if (chdir(parent.c_str()) != 0) _exit(2);
    if (!DropFilePermissionOverrides()) {
      const std::string message = absl::StrCat("cannot drop capabilities: ", strerror(errno));
      if (write(pipe_fds[1], message.data(), message.size()) < 0) _exit(4);
      _exit(3);
    }
    std::string message;
    for (const char* path : {"readonly/h.sqlite3", "readonly.sqlite3"}) {
      absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(path);
      absl::StrAppend(&message, store.ok() ? "OK" : absl::StatusCodeToString(store.status().code()),
                      " ", store.status().message(), "\n");
    }
    if (write(pipe_fds[1], message.data(), message.size()) < 0) _exit(4);
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string message;
  char buffer[512];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof buffer)) > 0) message.append(buffer, n);
  close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "child status " << status << ": " << message;
  const size_t newline = message.find('\n');
  ASSERT_NE(newline, std::string::npos) << message;
  const std::string in_folder = message.substr(0, newline), file = message.substr(newline + 1);
  EXPECT_THAT(in_folder, HasSubstr("PERMISSION_DENIED"));
  EXPECT_THAT(in_folder, HasSubstr("sqlite:readonly/h.sqlite3"));
  EXPECT_THAT(in_folder, HasSubstr("folder 'readonly' is not writable"));
  EXPECT_THAT(file, HasSubstr("PERMISSION_DENIED"));
  EXPECT_THAT(file, HasSubstr("sqlite:readonly.sqlite3"));
  EXPECT_THAT(file, HasSubstr("the file is not writable"));
  // Nothing was created in the folder.
  EXPECT_NE(access((folder + "/h.sqlite3").c_str(), F_OK), 0);
}

// --- PostgreSQL only: the URL, the server, the connections.

TEST(PostgresStoreTest, CreatesAVersionedSchemaAndDescribesTheUrl) {
  absl::StatusOr<std::string> url = testing::NewPostgresDatabase();
  ASSERT_TRUE(url.ok()) << url.status();
  absl::StatusOr<std::unique_ptr<Store>> store = OpenPostgresStore(*url);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->Describe(), *url);
  EXPECT_TRUE((*store)->SharedByServers());
  EXPECT_THAT(*testing::RawPostgres(*url, "SELECT MAX(version) FROM schema_version"),
              ElementsAre("1"));
  EXPECT_THAT(*testing::RawPostgres(*url,
                                    "SELECT indexname FROM pg_indexes WHERE indexname LIKE "
                                    "'analyses\\_by\\_%' ORDER BY 1"),
              ElementsAre("analyses_by_created", "analyses_by_state", "analyses_by_verdict"));
  store->reset();
  store = OpenPostgresStore(*url);  // up to date: migrates nothing
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_THAT(*testing::RawPostgres(*url, "SELECT COUNT(*) FROM schema_version"), ElementsAre("1"));
  // OpenStore picks the engine from the spec.
  absl::StatusOr<std::unique_ptr<Store>> by_spec = OpenStore(*url, "/nonexistent");
  ASSERT_TRUE(by_spec.ok()) << by_spec.status();
  EXPECT_EQ((*by_spec)->Describe(), *url);
  const std::string dir = base::testing::TestTempDir();
  by_spec = OpenStore("", dir);
  ASSERT_TRUE(by_spec.ok()) << by_spec.status();
  EXPECT_EQ((*by_spec)->Describe(), "sqlite:" + dir + "/history.sqlite3");
  EXPECT_EQ(OpenStore("mysql://x@y/z", dir).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PostgresStoreTest, ServersStartingAtOnceMigrateOnce) {
  absl::StatusOr<std::string> url = testing::NewPostgresDatabase();
  ASSERT_TRUE(url.ok()) << url.status();
  OpenAndInsertInProcesses([&] { return OpenPostgresStore(*url); }, 4);
  EXPECT_THAT(*testing::RawPostgres(*url, "SELECT version FROM schema_version"), ElementsAre("1"));
  EXPECT_THAT(*testing::RawPostgres(*url, "SELECT id FROM analyses ORDER BY id"),
              ElementsAre("p0", "p1", "p2", "p3"));
}

TEST(PostgresStoreTest, ErrorsNameTheUrlWithoutThePassword) {
  EXPECT_EQ(RedactDatabaseUrl("postgresql://alice:s3cret@db.example:5432/deepfake"),
            "postgresql://alice@db.example:5432/deepfake");
  EXPECT_EQ(RedactDatabaseUrl("postgres://db/x?sslmode=require&password=s3cret"),
            "postgres://db/x?sslmode=require");
  EXPECT_EQ(RedactDatabaseUrl("postgres://alice@db/x"), "postgres://alice@db/x");

  absl::StatusOr<std::string> server = testing::PostgresServerUrl();
  ASSERT_TRUE(server.ok()) << server.status();
  // A closed port (the server's port + 1 is not PostgreSQL's) and a database that is not there.
  const std::string host = std::string(server->substr(0, server->rfind('/')));
  const std::string port = host.substr(host.rfind(':') + 1);
  const std::string closed = absl::StrCat("postgresql://alice:s3cret@127.0.0.1:1/deepfake");
  absl::StatusOr<std::unique_ptr<Store>> store = OpenPostgresStore(closed);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr("postgresql://alice@127.0.0.1:1/deepfake"));
  EXPECT_THAT(store.status().message(), HasSubstr("connect"));
  EXPECT_THAT(store.status().message(), ::testing::Not(HasSubstr("s3cret")));

  const std::string missing =
      absl::StrCat("postgresql://deepfake:s3cret@127.0.0.1:", port, "/no_such_db");
  store = OpenPostgresStore(missing);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kNotFound) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr("no_such_db"));
  EXPECT_THAT(store.status().message(), HasSubstr("does not exist"));
  EXPECT_THAT(store.status().message(), ::testing::Not(HasSubstr("s3cret")));

  store = OpenPostgresStore("postgresql://h:notaport/x");
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("postgresql://h:notaport/x"));

  // Another program's database: refused, nothing created.
  absl::StatusOr<std::string> other = testing::NewPostgresDatabase();
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(testing::RawPostgres(*other, "CREATE TABLE invoices (n INT)").ok());
  store = OpenPostgresStore(*other);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("something else"));
  // A newer schema than this binary knows.
  absl::StatusOr<std::string> newer = testing::NewPostgresDatabase();
  ASSERT_TRUE(newer.ok());
  ASSERT_TRUE(OpenPostgresStore(*newer).ok());
  ASSERT_TRUE(testing::RawPostgres(*newer, "INSERT INTO schema_version VALUES (99, 0)").ok());
  store = OpenPostgresStore(*newer);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("schema version 99"));
}

// The database drops every connection (a restart, a failover, an idle timeout): the next
// calls reconnect instead of failing for good.
TEST(PostgresStoreTest, ReconnectsAfterTheConnectionsAreDropped) {
  absl::StatusOr<std::string> url = testing::NewPostgresDatabase();
  ASSERT_TRUE(url.ok()) << url.status();
  absl::StatusOr<std::unique_ptr<Store>> store = OpenPostgresStore(*url);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Insert(Queued("a", 1)).ok());
  const std::string name = url->substr(url->rfind('/') + 1);
  absl::StatusOr<std::vector<std::string>> killed = testing::RawPostgres(
      *url, absl::StrCat("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                         "datname = '",
                         name, "' AND pid <> pg_backend_pid()"));
  ASSERT_TRUE(killed.ok()) << killed.status();
  ASSERT_FALSE(killed->empty()) << "the store had no connection to drop";
  absl::StatusOr<Analysis> a = (*store)->Get("a");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->id, "a");
  absl::StatusOr<std::optional<Analysis>> job = (*store)->Claim("w", 60000, 3);
  ASSERT_TRUE(job.ok()) << job.status();
  ASSERT_TRUE(job->has_value());
  EXPECT_TRUE((*store)->Finish("a", "w", Result("REAL", 0.1)).ok());
}

}  // namespace
}  // namespace serve::web
