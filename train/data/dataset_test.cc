// Tests for resolving --real_paths / --fake_paths and manifests, and the validation split:
// every input form, every error message, groups never straddle the split.
#include "train/data/dataset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "base/testing/test_paths.h"
#include "train/data/manifest.h"

namespace train::data {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

void Touch(const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << "x";
}

std::vector<std::string> Paths(const std::vector<VideoItem>& items, int label) {
  std::vector<std::string> out;
  for (const VideoItem& item : items) {
    if (item.label == label) out.push_back(fs::path(item.path).filename().string());
  }
  return out;
}

class ResolveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = base::testing::TestTempDir("data");
    for (const char* f : {"real/a.mp4", "real/b.MP4", "real/sub/c.mov", "real/notes.txt",
                          "fake/x.mp4", "fake/y.mp4", "fake/deep/z.webm", "empty/readme.md"}) {
      Touch(dir_ + "/" + f);
    }
  }
  std::string dir_;
};

TEST_F(ResolveTest, FoldersAreSearchedRecursively) {
  absl::StatusOr<std::vector<VideoItem>> items =
      ResolveLabelledPaths({dir_ + "/real"}, {dir_ + "/fake"});
  ASSERT_TRUE(items.ok()) << items.status();
  EXPECT_THAT(Paths(*items, 0), ElementsAre("a.mp4", "b.MP4", "c.mov"));
  EXPECT_THAT(Paths(*items, 1), ElementsAre("z.webm", "x.mp4", "y.mp4"));
  for (const VideoItem& item : *items) {
    EXPECT_EQ(item.source_clip, item.path);
    EXPECT_TRUE(item.identities.empty());
    EXPECT_EQ(item.split, "");
  }
}

TEST_F(ResolveTest, GlobsFilesAndDuplicates) {
  absl::StatusOr<std::vector<VideoItem>> items = ResolveLabelledPaths(
      {dir_ + "/real/*.mp4", dir_ + "/real/a.mp4", dir_ + "/real/../real/a.mp4"},
      {dir_ + "/fake/?.mp4", dir_ + "/fake/deep/z.webm"});
  ASSERT_TRUE(items.ok()) << items.status();
  EXPECT_THAT(Paths(*items, 0), ElementsAre("a.mp4"));
  EXPECT_THAT(Paths(*items, 1), ElementsAre("x.mp4", "y.mp4", "z.webm"));
}

TEST_F(ResolveTest, GlobMatchingAFolderTakesItsVideos) {
  absl::StatusOr<std::vector<VideoItem>> items =
      ResolveLabelledPaths({dir_ + "/re*"}, {dir_ + "/fake/dee[p]"});
  ASSERT_TRUE(items.ok()) << items.status();
  EXPECT_THAT(Paths(*items, 0), ElementsAre("a.mp4", "b.MP4", "c.mov"));
  EXPECT_THAT(Paths(*items, 1), ElementsAre("z.webm"));
}

TEST_F(ResolveTest, GlobsTakeOnlyVideoFiles) {
  absl::StatusOr<std::vector<VideoItem>> items =
      ResolveLabelledPaths({dir_ + "/real/*"}, {dir_ + "/fake/*"});
  ASSERT_TRUE(items.ok()) << items.status();
  EXPECT_THAT(Paths(*items, 0), ElementsAre("a.mp4", "b.MP4", "c.mov"));  // not notes.txt
  items = ResolveLabelledPaths({dir_ + "/real/*.txt"}, {dir_ + "/fake"});
  ASSERT_FALSE(items.ok());
  EXPECT_EQ(items.status().message(),
            "--real_paths '" + dir_ + "/real/*.txt' matched no video file");
}

TEST_F(ResolveTest, ListFiles) {
  std::ofstream(dir_ + "/real.lst") << "# real clips\nreal/a.mp4\n\n  real/sub  \n";
  std::ofstream(dir_ + "/fake.txt") << dir_ << "/fake/x.mp4\n";
  absl::StatusOr<std::vector<VideoItem>> items =
      ResolveLabelledPaths({dir_ + "/real.lst"}, {dir_ + "/fake.txt"});
  ASSERT_TRUE(items.ok()) << items.status();
  EXPECT_THAT(Paths(*items, 0), ElementsAre("a.mp4", "c.mov"));
  EXPECT_THAT(Paths(*items, 1), ElementsAre("x.mp4"));
  EXPECT_EQ((*items)[0].path, dir_ + "/real/a.mp4");
}

TEST_F(ResolveTest, Errors) {
  auto error = [&](std::vector<std::string> real, std::vector<std::string> fake) {
    absl::StatusOr<std::vector<VideoItem>> items = ResolveLabelledPaths(real, fake);
    EXPECT_FALSE(items.ok());
    return std::string(items.status().message());
  };
  EXPECT_EQ(error({dir_ + "/real"}, {dir_ + "/fake/*.avi"}),
            "--fake_paths '" + dir_ + "/fake/*.avi' matched no file");
  EXPECT_EQ(error({dir_ + "/nope.mp4"}, {dir_ + "/fake"}),
            "--real_paths '" + dir_ + "/nope.mp4': no such file or folder");
  EXPECT_EQ(error({dir_ + "/real"}, {dir_ + "/empty"}),
            "--fake_paths '" + dir_ + "/empty': no video file in the folder " + dir_ + "/empty");
  EXPECT_EQ(error({}, {dir_ + "/fake"}), "no real video given (--real_paths names no video)");
  EXPECT_EQ(error({dir_ + "/real"}, {}), "no fake video given (--fake_paths names no video)");
  EXPECT_EQ(error({dir_ + "/real"}, {dir_ + "/real/a.mp4"}),
            dir_ + "/real/a.mp4 is given both as real (--real_paths) and as fake (--fake_paths)");
  std::ofstream(dir_ + "/bad.lst") << "real/a.mp4\nreal/gone.mp4\n";
  EXPECT_EQ(error({dir_ + "/bad.lst"}, {dir_ + "/fake"}),
            dir_ + "/bad.lst:2: 'real/gone.mp4' does not exist (" + dir_ + "/real/gone.mp4)");
}

TEST_F(ResolveTest, AnyClassForEvaluation) {
  absl::StatusOr<std::vector<VideoItem>> fakes =
      ResolveLabelledPaths({}, {dir_ + "/fake"}, ClassRequirement::kAnyClass);
  ASSERT_TRUE(fakes.ok()) << fakes.status();
  EXPECT_THAT(Paths(*fakes, 1), ElementsAre("z.webm", "x.mp4", "y.mp4"));
  EXPECT_TRUE(Paths(*fakes, 0).empty());
  absl::StatusOr<std::vector<VideoItem>> none =
      ResolveLabelledPaths({}, {}, ClassRequirement::kAnyClass);
  EXPECT_EQ(none.status().message(), "no video given (--real_paths and --fake_paths name none)");
}

Manifest TestManifest() {
  Manifest m;
  auto add = [&](const std::string& file, const std::string& label, const std::string& target,
                 const std::string& source, const std::string& split) {
    ManifestEntry e;
    e.file = file;
    e.label = label;
    e.method = label == "real" ? "real" : "face_swap";
    e.target_clip = target + "_clip";
    e.target_identity = target;
    e.source_clip = source + "_clip";
    e.source_identity = source;
    e.split = split;
    m.entries.push_back(e);
  };
  add("videos/a.mp4", "real", "anna", "anna", "train");
  add("videos/a_b.mp4", "fake", "anna", "ben", "train");
  add("videos/c.mp4", "real", "cleo", "cleo", "val");
  add("videos/c_d.mp4", "fake", "cleo", "dan", "val");
  add("videos/e.mp4", "real", "eve", "eve", "test");
  return m;
}

TEST(ManifestItemsTest, LabelsIdentitiesSplitsAndAbsolutePaths) {
  const std::string dir = base::testing::TestTempDir("set");
  ASSERT_TRUE(WriteManifest(TestManifest(), dir + "/manifest.json").ok());
  absl::StatusOr<std::vector<VideoItem>> items = ItemsFromManifest(dir + "/manifest.json");
  ASSERT_TRUE(items.ok()) << items.status();
  ASSERT_EQ(items->size(), 5u);
  EXPECT_EQ((*items)[1].path, dir + "/videos/a_b.mp4");
  EXPECT_EQ((*items)[1].label, 1);
  EXPECT_THAT((*items)[1].identities, ElementsAre("anna", "ben"));
  EXPECT_EQ((*items)[1].source_clip, "anna_clip");
  EXPECT_EQ((*items)[1].split, "train");
  EXPECT_EQ((*items)[0].label, 0);
  EXPECT_THAT((*items)[0].identities, ElementsAre("anna"));

  absl::StatusOr<DatasetSplit> split = SplitFromManifest(*items);
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->method, "manifest");
  EXPECT_EQ(split->train.size(), 2u);
  EXPECT_EQ(split->val.size(), 2u);
  EXPECT_EQ(split->test.size(), 1u);
  EXPECT_EQ(split->ToJson(), nlohmann::json::parse(R"({"method": "manifest",
      "train": {"videos": 2, "real": 1, "fake": 1}, "val": {"videos": 2, "real": 1, "fake": 1},
      "test": {"videos": 1, "real": 1, "fake": 0}})"));
  EXPECT_EQ(split->Summary(),
            "Dataset split (manifest):\n"
            "  train: 2 videos (1 real, 1 fake)\n"
            "  val: 2 videos (1 real, 1 fake)\n"
            "  test: 1 videos (1 real, 0 fake)\n"
            "  validation identities (2): cleo, dan\n");
}

TEST(ManifestItemsTest, Errors) {
  const std::string dir = base::testing::TestTempDir("set");
  absl::StatusOr<std::vector<VideoItem>> items = ItemsFromManifest(dir + "/manifest.json");
  ASSERT_FALSE(items.ok());
  EXPECT_THAT(items.status().message(), HasSubstr(dir + "/manifest.json"));
  EXPECT_EQ(items.status().code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(WriteManifest(Manifest{}, dir + "/manifest.json").ok());
  items = ItemsFromManifest(dir + "/manifest.json");
  ASSERT_FALSE(items.ok());
  EXPECT_EQ(items.status().message(), dir + "/manifest.json: the manifest lists no video");

  Manifest m = TestManifest();
  m.entries[3].split = "train";  // no fake in val
  ASSERT_TRUE(WriteManifest(m, dir + "/manifest.json").ok());
  items = ItemsFromManifest(dir + "/manifest.json");
  ASSERT_TRUE(items.ok());
  absl::StatusOr<DatasetSplit> split = SplitFromManifest(*items);
  ASSERT_FALSE(split.ok());
  EXPECT_EQ(split.status().message(),
            "the manifest's 'val' split has no fake video; give --val_fraction to split by "
            "identity instead");
}

TEST(ManifestItemsTest, OnlineSelfBlendingLetsTheTrainingSplitBeRealOnly) {
  const std::string dir = base::testing::TestTempDir("set");
  Manifest m = TestManifest();
  m.entries.erase(m.entries.begin() + 1);  // the training fake
  ASSERT_TRUE(WriteManifest(m, dir + "/manifest.json").ok());
  absl::StatusOr<std::vector<VideoItem>> items = ItemsFromManifest(dir + "/manifest.json");
  ASSERT_TRUE(items.ok());
  absl::StatusOr<DatasetSplit> split = SplitFromManifest(*items);
  ASSERT_FALSE(split.ok());
  EXPECT_EQ(split.status().message(),
            "the manifest's 'train' split has no fake video; give --val_fraction to split by "
            "identity instead");
  split = SplitFromManifest(*items, /*fakes_made_in_training=*/true);
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->train.size(), 1u);
  EXPECT_EQ(split->val.size(), 2u);
  // Validation still needs real fakes to measure anything.
  m.entries.erase(m.entries.begin() + 2);  // the validation fake
  ASSERT_TRUE(WriteManifest(m, dir + "/manifest.json").ok());
  items = ItemsFromManifest(dir + "/manifest.json");
  ASSERT_TRUE(items.ok());
  split = SplitFromManifest(*items, /*fakes_made_in_training=*/true);
  ASSERT_FALSE(split.ok());
  EXPECT_THAT(split.status().message(), HasSubstr("'val' split has no fake video"));
}

// n people, each with a real clip and a fake made from it with another person's face.
std::vector<VideoItem> People(int n, bool with_identities) {
  std::vector<VideoItem> items;
  for (int i = 0; i < n; ++i) {
    const std::string p = "p" + std::to_string(i);
    const std::string q = "p" + std::to_string((i + 1) % n);
    VideoItem real{"/d/" + p + ".mp4", 0, {}, "/d/" + p + ".mp4", ""};
    VideoItem fake{"/d/" + p + "_" + q + ".mp4", 1, {}, "/d/" + p + ".mp4", ""};
    if (with_identities) {
      real.identities = {p};
      fake.identities = {p, "x" + std::to_string(i)};  // a source person seen nowhere else
    }
    items.push_back(real);
    items.push_back(fake);
  }
  return items;
}

void ExpectDisjoint(const DatasetSplit& split, bool by_identity) {
  std::set<std::string> train_keys;
  for (const VideoItem& v : split.train) {
    train_keys.insert(v.source_clip);
    if (by_identity) train_keys.insert(v.identities.begin(), v.identities.end());
  }
  for (const VideoItem& v : split.val) {
    EXPECT_EQ(train_keys.count(v.source_clip), 0u) << v.path;
    if (by_identity) {
      for (const std::string& id : v.identities) EXPECT_EQ(train_keys.count(id), 0u) << id;
    }
  }
  for (const auto* part : {&split.train, &split.val}) {
    int count[2] = {0, 0};
    for (const VideoItem& v : *part) ++count[v.label];
    EXPECT_GT(count[0], 0);
    EXPECT_GT(count[1], 0);
  }
}

TEST(SplitTest, ByIdentityKeepsPeopleTogether) {
  const std::vector<VideoItem> items = People(20, true);
  for (uint64_t seed : {1, 2, 3, 4, 5}) {
    absl::StatusOr<DatasetSplit> split = SplitForValidation(items, 0.2, seed);
    ASSERT_TRUE(split.ok()) << split.status();
    EXPECT_EQ(split->method, "identity");
    EXPECT_EQ(split->train.size() + split->val.size(), items.size());
    EXPECT_EQ(split->val.size(), 8u);  // 4 people of 20
    ExpectDisjoint(*split, true);
  }
}

TEST(SplitTest, IdentitiesChainIntoOneGroup) {
  // p_i's fake shows p_{i+1}: every video is connected, so no split is possible.
  std::vector<VideoItem> items = People(6, true);
  for (size_t i = 1; i < items.size(); i += 2) {
    items[i].identities = {items[i - 1].identities[0], "p" + std::to_string((i / 2 + 1) % 6)};
  }
  absl::StatusOr<DatasetSplit> split = SplitForValidation(items, 0.2, 1);
  ASSERT_FALSE(split.ok());
  EXPECT_EQ(split.status().message(),
            "cannot split 12 videos by identity with both classes in training and validation: "
            "they form 1 group(s) of videos that share an identity (1 with real videos, 1 with "
            "fake videos), and every such group must stay on one side; give more identities or "
            "the validation videos (--val_real_paths / --val_fake_paths)");
}

TEST(SplitTest, BySourceClipWhenIdentitiesAreUnknown) {
  std::vector<VideoItem> items = People(10, true);
  items[3].identities.clear();  // one unknown: fall back to source clips for all
  absl::StatusOr<DatasetSplit> split = SplitForValidation(items, 0.3, 7);
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->method, "source clip");
  EXPECT_EQ(split->val.size(), 6u);
  ExpectDisjoint(*split, false);
  EXPECT_THAT(split->Summary(), HasSubstr("validation source clips (3): "));
}

TEST(SplitTest, DeterministicInSeed) {
  const std::vector<VideoItem> items = People(30, true);
  auto val_paths = [&](uint64_t seed) {
    std::vector<std::string> paths;
    const absl::StatusOr<DatasetSplit> split = SplitForValidation(items, 0.15, seed);
    for (const VideoItem& v : split->val) paths.push_back(v.path);
    return paths;
  };
  EXPECT_EQ(val_paths(9), val_paths(9));
  EXPECT_NE(val_paths(9), val_paths(10));
}

TEST(SplitTest, PlainFilesSplitByFileAndKeepBothClasses) {
  // Unrelated files, mostly real: validation still gets a fake.
  std::vector<VideoItem> items;
  for (int i = 0; i < 9; ++i) items.push_back({"/r" + std::to_string(i), 0, {}, "", ""});
  for (int i = 0; i < 2; ++i) items.push_back({"/f" + std::to_string(i), 1, {}, "", ""});
  for (VideoItem& item : items) item.source_clip = item.path;
  absl::StatusOr<DatasetSplit> split = SplitForValidation(items, 0.1, 3);
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->method, "source clip");
  ExpectDisjoint(*split, false);
  EXPECT_EQ(split->val.size(), 2u);  // one of each class (more than 10% but needed)
}

TEST(SplitTest, Errors) {
  std::vector<VideoItem> items = People(4, true);
  EXPECT_EQ(SplitForValidation(items, 0, 1).status().message(),
            "the validation fraction must be in (0, 1), got 0");
  EXPECT_EQ(SplitForValidation(items, 1, 1).status().message(),
            "the validation fraction must be in (0, 1), got 1");
  EXPECT_EQ(SplitForValidation({}, 0.2, 1).status().message(),
            "no video to split into train and validation");
  // One fake only: it cannot be in both splits.
  std::vector<VideoItem> one_fake = {
      {"/r1", 0, {}, "", ""}, {"/r2", 0, {}, "", ""}, {"/f1", 1, {}, "", ""}};
  EXPECT_THAT(SplitForValidation(one_fake, 0.3, 1).status().message(),
              HasSubstr("(2 with real videos, 1 with fake videos)"));
}

}  // namespace
}  // namespace train::data
