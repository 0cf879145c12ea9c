// Tests for the dataset manifest: JSON round trip, the manifests //tools:synth wrote, and
// the specific error for each kind of bad input.
#include "train/data/manifest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/testing/test_paths.h"

namespace train::data {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

ManifestEntry Entry(const std::string& file, const std::string& label) {
  ManifestEntry e;
  e.file = file;
  e.label = label;
  e.method = label == "real" ? "real" : "face_swap";
  e.target_clip = e.target_identity = "a";
  e.source_clip = e.source_identity = "b";
  e.split = "test";
  e.crf = 23;
  e.seed = 99;
  e.frames = 16;
  e.width = 64;
  e.height = 48;
  e.frame_rate = 29.97;
  return e;
}

TEST(ManifestTest, RoundTrip) {
  Manifest m;
  m.seed = 12345678901234ull;
  m.options = {{"max_frames", 16}};
  m.entries = {Entry("x.mp4", "fake"), Entry("y.mp4", "real")};
  m.entries[0].params = {{"blend", "poisson"}};
  const absl::StatusOr<Manifest> back = ManifestFromJson(ManifestToJson(m), "m");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->seed, m.seed);
  EXPECT_EQ(back->options, m.options);
  ASSERT_EQ(back->entries.size(), 2u);
  EXPECT_EQ(back->entries[0].source_identity, "b");
  EXPECT_EQ(back->entries[0].params["blend"], "poisson");
  EXPECT_EQ(back->entries[1].frame_rate, 29.97);
  EXPECT_EQ(ManifestToJson(*back), ManifestToJson(m));
}

TEST(ManifestTest, WriteThenReadLeavesNoTemporary) {
  Manifest m;
  m.entries = {Entry("x.mp4", "fake")};
  const std::string path = base::testing::TestTempPath("manifest.json");
  ASSERT_TRUE(WriteManifest(m, path).ok());
  const absl::StatusOr<Manifest> back = ReadManifest(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(ManifestToJson(*back), ManifestToJson(m));
  EXPECT_EQ(
      std::distance(fs::directory_iterator(base::testing::TestTempDir()), fs::directory_iterator()),
      1);
  const std::string unwritable = base::testing::TestTempPath("missing/manifest.json");
  const absl::Status status = WriteManifest(m, unwritable);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()), HasSubstr(unwritable + ": cannot write"));
}

// Manifests //tools:synth wrote from video/testdata (the fuzzer's seeds).
TEST(ManifestTest, ReadsTheManifestsTheGeneratorWrote) {
  int read = 0;
  for (const auto& entry : fs::directory_iterator("train/data/testdata")) {
    if (entry.path().extension() != ".json") continue;
    const absl::StatusOr<Manifest> m = ReadManifest(entry.path().string());
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_FALSE(m->entries.empty()) << entry.path();
    for (const ManifestEntry& e : m->entries) {
      EXPECT_TRUE(e.label == "real" || e.label == "fake") << e.file;
      EXPECT_GT(e.frames, 0) << e.file;
    }
    ++read;
  }
  EXPECT_GE(read, 1);
}

void ExpectInvalid(const absl::StatusOr<Manifest>& m, const std::string& message) {
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument) << m.status();
  EXPECT_THAT(std::string(m.status().message()), HasSubstr(message));
}

TEST(ManifestTest, EachBadInputHasItsOwnError) {
  Manifest m;
  m.entries = {Entry("x.mp4", "fake")};
  const nlohmann::json good = ManifestToJson(m);
  ExpectInvalid(ParseManifest("{not json", "d/manifest.json"), "d/manifest.json: not JSON");
  ExpectInvalid(ParseManifest("[1, 2]", "m.json"), "m.json: bad manifest: ");
  nlohmann::json bad = good;
  bad["format"] = "something-else";
  ExpectInvalid(ManifestFromJson(bad, "m.json"), "m.json: not a synth manifest");
  bad = good;
  bad["entries"][0]["label"] = "maybe";
  ExpectInvalid(ManifestFromJson(bad, "m.json"),
                "m.json: x.mp4: label must be real or fake, not maybe");
  bad = good;
  bad["entries"][0].erase("file");
  ExpectInvalid(ManifestFromJson(bad, "m.json"), "key 'file' not found");
  bad = good;
  bad["entries"][0]["width"] = "wide";
  ExpectInvalid(ManifestFromJson(bad, "m.json"), "width must be an integer in [0, 2147483647]");
  bad = good;
  bad["entries"][0]["frames"] = -1;
  ExpectInvalid(ManifestFromJson(bad, "m.json"),
                "frames must be an integer in [0, 2147483647], not -1");
  bad = good;
  bad["entries"][0]["crf"] = 1e300;  // a float-to-int conversion would be undefined
  ExpectInvalid(ManifestFromJson(bad, "m.json"), "crf must be an integer in [0, 63], not 1e+300");
  bad = good;
  bad["seed"] = -5;
  ExpectInvalid(ManifestFromJson(bad, "m.json"), "seed must be an unsigned integer, not -5");
}

TEST(ManifestTest, MissingFileIsNotFound) {
  const absl::StatusOr<Manifest> m = ReadManifest("/nonexistent/manifest.json");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m.status().message(), "/nonexistent/manifest.json: cannot open");
}

}  // namespace
}  // namespace train::data
