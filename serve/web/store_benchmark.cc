// The SQLite store's costs: a durable write (synchronous=FULL fsyncs the WAL on every
// commit), a worker's progress update, one analysis's whole life in the queue, and the
// history page's queries on 10,000 analyses. The database lives in a fresh folder under
// $TMPDIR (default /tmp), on the filesystem whose fsync is measured.
//   bazel run //serve/web:store_benchmark
#include <stdlib.h>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "serve/web/store.h"

namespace serve::web {
namespace {

std::string FreshPath() {
  const char* tmp = getenv("TMPDIR");
  std::string dir =
      absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/store_benchmark.XXXXXX");
  if (mkdtemp(dir.data()) == nullptr) {
    perror("mkdtemp");
    abort();
  }
  return dir + "/history.sqlite3";
}

std::unique_ptr<Store> OpenFresh() {
  absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(FreshPath());
  if (!store.ok()) {
    fprintf(stderr, "%s\n", std::string(store.status().message()).c_str());
    abort();
  }
  return *std::move(store);
}

Analysis Queued(int64_t i) {
  Analysis a;
  a.id = absl::StrCat("bench", 100000000 + i);
  a.file_name = absl::StrCat(i % 7 == 0 ? "Interview " : "clip ", i, ".mp4");
  a.dir = "analyses/" + a.id;
  a.size_bytes = 5000000;
  a.content_type = "video/mp4";
  a.created_ms = 1700000000000 + i * 1000;
  return a;
}

Analysis Result(int64_t i) {
  Analysis a;
  a.verdict = i % 3 == 0 ? "FAKE" : i % 3 == 1 ? "REAL" : "UNDETERMINED";
  a.fake_probability = 0.5;
  a.result_json = std::string(50000, 'x');  // thumbnails and heatmaps as data URIs
  a.thumbnail = "thumbnail.png";
  return a;
}

void Check(const absl::Status& status) {
  if (!status.ok()) {
    fprintf(stderr, "%s\n", std::string(status.message()).c_str());
    abort();
  }
}

void BM_Insert(benchmark::State& state) {
  std::unique_ptr<Store> store = OpenFresh();
  int64_t i = 0;
  for (auto _ : state) Check(store->Insert(Queued(i++)));
}
BENCHMARK(BM_Insert)->Unit(benchmark::kMillisecond);

void BM_Progress(benchmark::State& state) {
  std::unique_ptr<Store> store = OpenFresh();
  Check(store->Insert(Queued(0)));
  Check(store->Claim("w", 60000, 3).status());
  double progress = 0;
  for (auto _ : state) {
    Check(store->Progress(Queued(0).id, "w", "scoring", progress, 60000));
    progress = progress >= 1 ? 0 : progress + 0.001;
  }
}
BENCHMARK(BM_Progress)->Unit(benchmark::kMillisecond);

// Insert, claim, 10 progress updates, finish with a 50 KB result.
void BM_AnalysisLifecycle(benchmark::State& state) {
  std::unique_ptr<Store> store = OpenFresh();
  int64_t i = 0;
  for (auto _ : state) {
    const Analysis a = Queued(i);
    Check(store->Insert(a));
    Check(store->Claim("w", 60000, 3).status());
    for (int p = 0; p < 10; ++p) Check(store->Progress(a.id, "w", "scoring", p / 10.0, 60000));
    Check(store->Finish(a.id, "w", Result(i)));
    ++i;
  }
}
BENCHMARK(BM_AnalysisLifecycle)->Unit(benchmark::kMillisecond);

// The history page (20 rows, and the total) among 10,000 finished analyses.
void BM_ListPage(benchmark::State& state) {
  static Store* store = [] {
    Store* s = OpenFresh().release();
    for (int64_t i = 0; i < 10000; ++i) {
      Analysis a = Queued(i);
      const Analysis r = Result(i);
      a.state = JobState::kDone;
      a.verdict = r.verdict;
      a.result_json = r.result_json;
      Check(s->Insert(a));
    }
    return s;
  }();
  ListQuery query;
  switch (state.range(0)) {
    case 0:
      state.SetLabel("newest first");
      break;
    case 1:
      state.SetLabel("verdict=FAKE");
      query.verdict = "FAKE";
      break;
    case 2:
      state.SetLabel("name contains 'interview'");
      query.name_contains = "interview";
      break;
    case 3:
      state.SetLabel("page 100");
      query.offset = 2000;
      break;
    case 4:
      state.SetLabel("Get with result");
      break;
  }
  for (auto _ : state) {
    if (state.range(0) == 4) {
      benchmark::DoNotOptimize(store->Get(Queued(5000).id));
    } else {
      benchmark::DoNotOptimize(store->List(query));
    }
  }
}
BENCHMARK(BM_ListPage)->DenseRange(0, 4)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace serve::web
