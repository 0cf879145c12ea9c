// Shard parsing and assignment (stable values, a partition of the batch, keys relative to
// the folder), result files and journals read back (torn last line tolerated, errors naming
// file and line), the resume rule, and MergeResults' agreement checks.
#include "serve/batch_shard.h"

#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "base/testing/test_paths.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "serve/api/result_json.h"
#include "serve/merge_results_command.h"

namespace serve {
namespace {

using ::testing::HasSubstr;

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

DetectionResult Result(const std::string& path, Verdict verdict, double p) {
  DetectionResult r;
  r.path = path;
  r.verdict = verdict;
  r.fake_probability = p;
  r.video.path = path;
  r.video.sha256 = std::string(64, 'a');
  r.video.size_bytes = 10;
  r.model.name = "m.safetensors";
  r.model.sha256 = std::string(64, 'b');
  r.model.preset = "tiny";
  r.model.frames = 4;
  r.model.image_size = 64;
  r.times.total = 12.5;
  return r;
}

TEST(ShardTest, ParsesIOfN) {
  absl::StatusOr<Shard> shard = ParseShard("2/3");
  ASSERT_TRUE(shard.ok()) << shard.status();
  EXPECT_EQ(shard->index, 2);
  EXPECT_EQ(shard->count, 3);
  for (const auto& [text, problem] :
       std::vector<std::pair<std::string, std::string>>{{"3/3", "I must be in 0..2"},
                                                        {"-1/3", "I must be in 0..2"},
                                                        {"0/0", "N must be at least 1"},
                                                        {"1", "not of the form I/N"},
                                                        {"1/2/3", "not of the form I/N"},
                                                        {"a/3", "I and N must be whole numbers"},
                                                        {" 1/3", "I and N must be whole numbers"},
                                                        {"", "not of the form I/N"}}) {
    absl::StatusOr<Shard> bad = ParseShard(text);
    ASSERT_FALSE(bad.ok()) << text;
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(bad.status().message(), HasSubstr(absl::StrCat("--shard '", text, "': ", problem)));
  }
}

TEST(ShardTest, StableKeysAndAPartition) {
  EXPECT_EQ(ShardKey("/data/videos/a/b.mp4", "/data/videos"), "a/b.mp4");
  EXPECT_EQ(ShardKey("/data/videos/a/b.mp4", "/data/videos/"), "a/b.mp4");
  EXPECT_EQ(ShardKey("/elsewhere/b.mp4", "/data/videos"), "/elsewhere/b.mp4");
  EXPECT_EQ(ShardKey("x.mp4", ""), "x.mp4");
  // XXH64 values are fixed (base/hash.h): these are part of where a video's result lives.
  EXPECT_EQ(ShardOfKey("a/b.mp4", 1), 0);
  const int fixed = ShardOfKey("clip_000.mp4", 7);
  EXPECT_EQ(ShardOfKey("clip_000.mp4", 7), fixed);

  std::vector<std::string> paths;
  for (int i = 0; i < 300; ++i) paths.push_back(absl::StrCat("/v/clip_", i, ".mp4"));
  std::set<std::string> seen;
  for (int index = 0; index < 3; ++index) {
    const std::vector<std::string> part = SelectShard(paths, "/v", {index, 3});
    EXPECT_GT(part.size(), 60u) << "shard " << index << " of 300 videos";  // ~100 ± 3 sigma
    for (const std::string& path : part) EXPECT_TRUE(seen.insert(path).second) << path;
  }
  EXPECT_EQ(seen.size(), paths.size());
  // The same video lands in the same shard when the folder is mounted elsewhere, and when
  // other videos are added.
  std::vector<std::string> moved, grown = paths;
  for (int i = 0; i < 300; ++i) moved.push_back(absl::StrCat("/mnt/x/clip_", i, ".mp4"));
  for (int i = 300; i < 400; ++i) grown.push_back(absl::StrCat("/v/clip_", i, ".mp4"));
  const std::vector<std::string> before = SelectShard(paths, "/v", {1, 3});
  const std::vector<std::string> after = SelectShard(grown, "/v", {1, 3});
  EXPECT_EQ(SelectShard(moved, "/mnt/x", {1, 3}).size(), before.size());
  for (const std::string& path : before) {
    EXPECT_NE(std::find(after.begin(), after.end(), path), after.end()) << path;
  }
}

TEST(ResultsFileTest, JsonJsonlAndErrors) {
  const std::vector<DetectionResult> results = {Result("a.mp4", Verdict::kFake, 0.9),
                                                Result("b.mp4", Verdict::kReal, 0.1)};
  const std::string jsonl = base::testing::TestTempPath("r.jsonl");
  std::string text;
  for (const DetectionResult& r : results) absl::StrAppend(&text, ResultToJson(r).dump(), "\n");
  WriteText(jsonl, text);
  absl::StatusOr<std::vector<DetectionResult>> read = ReadResultsFile(jsonl);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[1].path, "b.mp4");

  const std::string json = base::testing::TestTempPath("r.json");
  WriteText(json, nlohmann::json::array({ResultToJson(results[0])}).dump(2));
  read = ReadResultsFile(json);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->size(), 1u);

  WriteText(jsonl, text + "{\"schema_version\": 1}\n");
  EXPECT_THAT(ReadResultsFile(jsonl).status().message(), HasSubstr("r.jsonl:3: $.path: missing"));
  WriteText(jsonl, "not json\n");
  EXPECT_EQ(ReadResultsFile(jsonl).status().message(), jsonl + ":1: not JSON");
  EXPECT_THAT(ReadResultsFile(base::testing::TestTempPath("r.csv")).status().message(),
              HasSubstr("r.csv: CSV holds no face tracks"));
  EXPECT_EQ(ReadResultsFile(base::testing::TestTempPath("missing.json")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(JournalTest, AppendsAndToleratesATornLastLine) {
  const std::string path = base::testing::TestTempPath("out.jsonl.partial");
  {
    ResultJournal journal;
    ASSERT_TRUE(journal.Open(path, {Result("a.mp4", Verdict::kReal, 0.2)}).ok());
    ASSERT_TRUE(journal.Append(Result("b.mp4", Verdict::kFake, 0.8)).ok());
  }
  std::ofstream(path, std::ios::app) << "{\"schema_version\": 1, \"pa";  // killed mid-write
  absl::StatusOr<std::vector<DetectionResult>> read = ReadJournal(path);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[1].path, "b.mp4");
  EXPECT_EQ(ReadJournal(base::testing::TestTempPath("none.partial"))->size(), 0u);

  ResultJournal journal;
  ASSERT_TRUE(journal.Open(path, {}).ok());
  EXPECT_EQ(ReadJournal(path)->size(), 0u);
  ASSERT_TRUE(journal.Remove().ok());
  EXPECT_FALSE(std::ifstream(path).good());
}

TEST(ResumeTest, ReusesOnlyUnchangedDeterministicResults) {
  const DetectionResult done = Result("a.mp4", Verdict::kFake, 0.9);
  const std::string sha = done.video.sha256;
  EXPECT_TRUE(MayReuse(done, 10, sha, done.model, 0.5));
  EXPECT_FALSE(MayReuse(done, 11, sha, done.model, 0.5));                   // file grew
  EXPECT_FALSE(MayReuse(done, 10, std::string(64, 'c'), done.model, 0.5));  // file changed
  EXPECT_FALSE(MayReuse(done, 10, "", done.model, 0.5));                    // cannot read it
  EXPECT_FALSE(MayReuse(done, 10, sha, done.model, 0.6));                   // other threshold
  ModelFacts other = done.model;
  other.sha256 = std::string(64, 'd');
  EXPECT_FALSE(MayReuse(done, 10, sha, other, 0.5));
  other = done.model;
  other.frames = 8;
  EXPECT_FALSE(MayReuse(done, 10, sha, other, 0.5));

  DetectionResult failed = done;
  failed.verdict = Verdict::kUndetermined;
  failed.fake_probability = -1;
  failed.reason = UndeterminedReason::kDamaged;
  EXPECT_FALSE(MayReuse(failed, 10, sha, done.model, 0.5));  // may be transient: retried
  failed.reason = UndeterminedReason::kUnreadable;
  EXPECT_FALSE(MayReuse(failed, 10, sha, done.model, 0.5));
  failed.reason = UndeterminedReason::kNoFace;
  EXPECT_TRUE(MayReuse(failed, 10, sha, done.model, 0.5));  // an analysis that ran
}

TEST(MergeTest, SortsKeepsAgreeingDuplicatesRefusesConflicts) {
  DetectionResult a = Result("a.mp4", Verdict::kFake, 0.9);
  DetectionResult b = Result("b.mp4", Verdict::kReal, 0.1);
  DetectionResult c = Result("c.mp4", Verdict::kReal, 0.2);
  DetectionResult a_again = a;
  a_again.times.total = 99;  // timings differ between runs
  absl::StatusOr<std::vector<DetectionResult>> merged =
      MergeResults({{"s1.jsonl", {c, a}}, {"s2.jsonl", {b, a_again}}});
  ASSERT_TRUE(merged.ok()) << merged.status();
  ASSERT_EQ(merged->size(), 3u);
  EXPECT_EQ((*merged)[0].path, "a.mp4");
  EXPECT_EQ((*merged)[1].path, "b.mp4");
  EXPECT_EQ((*merged)[2].path, "c.mp4");

  DetectionResult a_other = a;
  a_other.verdict = Verdict::kReal;
  a_other.fake_probability = 0.3;
  absl::Status conflict = MergeResults({{"s1.jsonl", {a}}, {"s2.jsonl", {a_other}}}).status();
  EXPECT_EQ(conflict.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(conflict.message(),
            "conflicting results for a.mp4: s1.jsonl says FAKE (P(fake) 0.9000), s2.jsonl says "
            "REAL (P(fake) 0.3000)");

  DetectionResult b_model = b;
  b_model.model.sha256 = std::string(64, 'e');
  EXPECT_THAT(MergeResults({{"s1.jsonl", {a}}, {"s2.jsonl", {b_model}}}).status().message(),
              HasSubstr("mixed models: s1.jsonl has results of m.safetensors (sha256 "
                        "bbbbbbbbbbbb), s2.jsonl of m.safetensors (sha256 eeeeeeeeeeee"));
  DetectionResult b_threshold = b;
  b_threshold.threshold = 0.7;
  EXPECT_THAT(MergeResults({{"s1.jsonl", {a}}, {"s2.jsonl", {b_threshold}}}).status().message(),
              HasSubstr("mixed thresholds: s1.jsonl used 0.5, s2.jsonl used 0.7"));
}

}  // namespace
}  // namespace serve
