// Tests for identity splits, the disjointness check, re-splitting and the folder layout.
#include "train/synth/split.h"

#include <filesystem>
#include <fstream>
#include <set>

#include "base/testing/test_paths.h"
#include "gtest/gtest.h"

namespace train::synth {
namespace {

namespace fs = std::filesystem;
using data::Manifest;
using data::ManifestEntry;
using data::ReadManifest;

TEST(SplitTest, AssignsEveryIdentityOnceWithRoughFractions) {
  std::map<std::string, int> clips;
  for (int i = 0; i < 20; ++i) clips["id" + std::to_string(i)] = 1 + i % 2;
  const auto split = AssignIdentitySplits(clips, {}, 3);
  ASSERT_EQ(split.size(), 20u);
  std::map<std::string, int> per_split, ids;
  for (const auto& [id, s] : split) per_split[s] += clips[id], ++ids[s];
  EXPECT_NEAR(per_split["train"], 0.7 * 30, 2);
  EXPECT_NEAR(per_split["val"], 0.15 * 30, 2);
  EXPECT_GE(ids["test"], 2);
  EXPECT_EQ(split, AssignIdentitySplits(clips, {}, 3));  // deterministic
  const auto three = AssignIdentitySplits({{"a", 1}, {"b", 1}, {"c", 1}}, {}, 1);
  std::set<std::string> used;
  for (const auto& [id, s] : three) used.insert(s);
  EXPECT_EQ(used.size(), 3u);
}

ManifestEntry Entry(const std::string& file, const std::string& label, const std::string& target,
                    const std::string& source, const std::string& split) {
  ManifestEntry e;
  e.file = file, e.label = label, e.method = label == "real" ? "real" : "face_swap";
  e.target_clip = e.target_identity = target;
  e.source_clip = e.source_identity = source;
  e.split = split;
  return e;
}

TEST(SplitTest, DisjointnessCheckNamesTheIdentity) {
  Manifest m;
  m.entries = {Entry("a.mp4", "real", "alice", "alice", "train"),
               Entry("b.mp4", "fake", "bob", "alice", "val")};
  const absl::Status s = CheckIdentityDisjoint(m);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "identity alice appears in several splits: train, val");
  m.entries[1].split = "train";
  EXPECT_TRUE(CheckIdentityDisjoint(m).ok());
}

TEST(SplitTest, ResplitDropsFakesAcrossSplits) {
  Manifest m;
  const char* ids[] = {"a", "b", "c", "d", "e", "f"};
  for (const char* id : ids)
    m.entries.push_back(Entry(std::string(id) + ".mp4", "real", id, id, ""));
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j)
      if (i != j)
        m.entries.push_back(
            Entry(std::string(ids[i]) + ids[j] + ".mp4", "fake", ids[i], ids[j], ""));
  const int dropped = Resplit({0.34, 0.33, 0.33}, 5, &m);
  EXPECT_GT(dropped, 0);
  EXPECT_EQ(m.entries.size(), 36u - dropped);
  EXPECT_TRUE(CheckIdentityDisjoint(m).ok());
}

TEST(SplitTest, WritesRealAndFakeFolders) {
  const fs::path dir = fs::path(base::testing::TestTempDir("dataset"));
  fs::create_directories(dir / "videos");
  for (const char* f : {"r.mp4", "f.mp4", "v.mp4"}) std::ofstream(dir / "videos" / f) << f;
  Manifest m;
  m.entries = {Entry("videos/r.mp4", "real", "a", "a", "train"),
               Entry("videos/f.mp4", "fake", "a", "b", "train"),
               Entry("videos/v.mp4", "real", "c", "c", "val")};
  const fs::path out = fs::path(base::testing::TestTempPath("splits"));
  ASSERT_TRUE(WriteSplitLayout(m, dir.string(), out.string()).ok());
  EXPECT_TRUE(fs::exists(out / "train" / "real" / "r.mp4"));
  EXPECT_TRUE(fs::exists(out / "train" / "fake" / "f.mp4"));
  EXPECT_TRUE(fs::exists(out / "val" / "real" / "v.mp4"));
  auto train = ReadManifest((out / "train" / "manifest.json").string());
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_EQ(train->entries.size(), 2u);
  EXPECT_EQ(train->entries[1].file, "fake/f.mp4");
  m.entries[2].target_identity = "a";  // now "a" is in two splits
  const absl::Status overlap = WriteSplitLayout(m, dir.string(), out.string());
  EXPECT_EQ(overlap.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(overlap.message(), "identity a appears in several splits: train, val");
}

}  // namespace
}  // namespace train::synth
