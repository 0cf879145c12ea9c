// Tests for the face cache filler: video listing, a run over real clips with broken files
// (miss, then hit with identical tensors, then recomputed after damage), the dataset
// manifest, the report and the printed summary.
#include "tools/cache_faces_lib.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "base/hash.h"
#include "base/testing/test_paths.h"
#include "base/video_files.h"
#include "nlohmann/json.hpp"
#include "nn/tensor.h"
#include "train/data/manifest.h"
#include "video/face_cache.h"

namespace tools {
namespace {

namespace fs = std::filesystem;
using ::base::testing::kLandmarkModelPath;
using ::base::testing::TestTempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kClip2[] = "video/testdata/retalking_face2_2s.mp4";
constexpr char kClip5[] = "video/testdata/retalking_face5_2s.mp4";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// A folder with two good clips (one in a subfolder), a text file named .mp4, a truncated
// clip with an upper-case extension, and a .txt that is not a video.
struct VideoFolder {
  std::string dir, face2, face5, broken, truncated;
};

VideoFolder MakeVideoFolder(const std::string& name) {
  VideoFolder f;
  f.dir = TestTempDir(name);
  f.face2 = f.dir + "/a/retalking_face2_2s.mp4";
  f.face5 = f.dir + "/retalking_face5_2s.mp4";
  f.broken = f.dir + "/broken.mp4";
  f.truncated = f.dir + "/sub/truncated.MP4";
  WriteFile(f.face2, ReadFile(kClip2));
  WriteFile(f.face5, ReadFile(kClip5));
  WriteFile(f.broken, "this is a text file, not a video\n");
  const std::string clip = ReadFile(kClip2);
  WriteFile(f.truncated, clip.substr(0, clip.size() / 2));
  WriteFile(f.dir + "/notes.txt", "not a video\n");
  return f;
}

CacheFacesOptions Options(const std::string& cache_dir) {
  CacheFacesOptions options;
  options.cache_dir = cache_dir;
  options.preset = "tiny";  // 4 frames of 32x32: fast
  options.landmark_model = kLandmarkModelPath;
  return options;
}

// Runs CacheFaces and keeps each good video's face tensors, by path.
struct CacheRun {
  CacheRunSummary summary;
  std::map<std::string, std::vector<nn::Tensor>> faces;
  std::vector<std::string> lines;
};

CacheRun RunCache(const std::vector<std::string>& videos, const CacheFacesOptions& options) {
  CacheRun run;
  absl::StatusOr<CacheRunSummary> summary = CacheFaces(
      videos, options,
      [&](int index, int total, const VideoResult& result, const video::PreprocessedVideo* v) {
        run.lines.push_back(FormatProgressLine(index, total, result));
        EXPECT_EQ(v != nullptr, result.ok) << result.path;
        if (v == nullptr) return;
        for (const video::PreprocessedTrack& track : v->tracks) {
          run.faces[result.path].push_back(track.faces);
        }
      });
  EXPECT_TRUE(summary.ok()) << summary.status();
  if (summary.ok()) run.summary = *summary;
  return run;
}

void ExpectSameTensors(const std::vector<nn::Tensor>& a, const std::vector<nn::Tensor>& b,
                       const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t t = 0; t < a.size(); ++t) {
    ASSERT_EQ(a[t].shape(), b[t].shape()) << what;
    EXPECT_EQ(std::memcmp(a[t].raw_data(), b[t].raw_data(), a[t].bytes()), 0)
        << what << " track " << t;
  }
}

TEST(ListVideoFilesTest, RecursiveSortedAndOnlyVideos) {
  const VideoFolder f = MakeVideoFolder("list");
  absl::StatusOr<std::vector<std::string>> videos = base::ListVideoFiles(f.dir);
  ASSERT_TRUE(videos.ok()) << videos.status();
  EXPECT_THAT(*videos, ElementsAre(f.face2, f.broken, f.face5, f.truncated));

  absl::StatusOr<std::vector<std::string>> missing = base::ListVideoFiles(f.dir + "/nosuch");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr(f.dir + "/nosuch: no such folder"));
  absl::StatusOr<std::vector<std::string>> file = base::ListVideoFiles(f.face5);
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(file.status().message(), HasSubstr(f.face5 + ": not a folder"));
}

TEST(CacheFacesTest, MissThenHitThenRecomputedAndBadVideosNeverStopTheRun) {
  const VideoFolder f = MakeVideoFolder("run");
  const std::string cache_dir = TestTempDir("run_cache");
  const std::vector<std::string> videos = base::ListVideoFiles(f.dir).value();
  ASSERT_EQ(videos.size(), 4u);
  const CacheFacesOptions options = Options(cache_dir);

  // First run: both clips computed, both broken files fail with their names, in order.
  const CacheRun first = RunCache(videos, options);
  const CacheRunSummary& s1 = first.summary;
  ASSERT_EQ(s1.videos.size(), 4u);
  EXPECT_EQ(s1.misses, 2);
  EXPECT_EQ(s1.hits, 0);
  EXPECT_EQ(s1.recomputed, 0);
  EXPECT_EQ(s1.failed, 2);
  EXPECT_EQ(s1.preset, "tiny");
  EXPECT_EQ(s1.cache_entries, 2);
  EXPECT_GT(s1.cache_bytes, 2u * 4 * 3 * 32 * 32);  // two entries of 8-bit crops
  for (int i : {0, 2}) {
    const VideoResult& r = s1.videos[i];
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.outcome, video::CacheOutcome::kMiss) << r.path;
    EXPECT_EQ(r.tracks, 1) << r.path;
    EXPECT_EQ(r.frames, 4) << r.path;
    EXPECT_GT(r.ms, 0) << r.path;
    ASSERT_EQ(first.faces.at(r.path).size(), 1u);
    EXPECT_EQ(first.faces.at(r.path)[0].shape(), (nn::Shape{4, 3, 32, 32}));
  }
  EXPECT_EQ(s1.videos[1].path, f.broken);
  EXPECT_FALSE(s1.videos[1].ok);
  EXPECT_THAT(s1.videos[1].error, HasSubstr(f.broken));
  EXPECT_EQ(s1.videos[3].path, f.truncated);
  EXPECT_FALSE(s1.videos[3].ok);
  EXPECT_THAT(s1.videos[3].error, HasSubstr(f.truncated));
  ASSERT_EQ(first.lines.size(), 4u);
  EXPECT_THAT(first.lines[0], HasSubstr("[1/4] " + f.face2 + ": miss, 1 tracks, "));
  EXPECT_THAT(first.lines[0], HasSubstr(" ms"));
  EXPECT_EQ(first.lines[1], "[2/4] " + f.broken + ": error: " + s1.videos[1].error);

  // The report, written atomically, says the same.
  const std::string report_path = cache_dir + "/cache_report.json";
  ASSERT_TRUE(WriteReport(s1, report_path).ok());
  EXPECT_FALSE(fs::exists(report_path + ".tmp"));
  const nlohmann::json report = nlohmann::json::parse(ReadFile(report_path));
  EXPECT_EQ(report["preset"], "tiny");
  EXPECT_EQ(report["preprocessing_key"], s1.preprocessing_key);
  EXPECT_THAT(s1.preprocessing_key, HasSubstr("\"image_size\":32"));
  EXPECT_EQ(report["misses"], 2);
  EXPECT_EQ(report["failed"], 2);
  ASSERT_EQ(report["videos"].size(), 4u);
  EXPECT_EQ(report["videos"][0]["path"], f.face2);
  EXPECT_EQ(report["videos"][0]["outcome"], "miss");
  EXPECT_EQ(report["videos"][0]["tracks"], 1);
  EXPECT_EQ(report["videos"][0]["frames"], 4);
  EXPECT_GT(report["videos"][0]["ms"].get<double>(), 0);
  EXPECT_TRUE(report["videos"][0]["error"].is_null());
  EXPECT_EQ(report["videos"][1]["path"], f.broken);
  EXPECT_EQ(report["videos"][1]["outcome"], "failed");
  EXPECT_EQ(report["videos"][1]["tracks"], 0);
  EXPECT_EQ(report["videos"][1]["error"], s1.videos[1].error);
  EXPECT_EQ(report["videos"][3]["outcome"], "failed");

  // Second run: hits, the same tensors bit for bit.
  const CacheRun second = RunCache(videos, options);
  EXPECT_EQ(second.summary.hits, 2);
  EXPECT_EQ(second.summary.misses, 0);
  EXPECT_EQ(second.summary.failed, 2);
  EXPECT_EQ(second.summary.videos[0].outcome, video::CacheOutcome::kHit);
  EXPECT_EQ(second.summary.videos[2].outcome, video::CacheOutcome::kHit);
  EXPECT_EQ(second.summary.cache_entries, 2);
  ExpectSameTensors(first.faces.at(f.face2), second.faces.at(f.face2), f.face2);
  ExpectSameTensors(first.faces.at(f.face5), second.faces.at(f.face5), f.face5);

  // Damage face5's entry in the middle: the third run recomputes it (same tensors), face2
  // stays a hit.
  const std::string entry =
      video::FaceCache(cache_dir).EntryPath(base::Xxh64File(f.face5).value(), s1.preprocessing_key);
  ASSERT_TRUE(fs::exists(entry)) << entry;
  {
    std::string bytes = ReadFile(entry);
    for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 16; ++i) bytes[i] ^= 0x5a;
    WriteFile(entry, bytes);
  }
  const CacheRun third = RunCache(videos, options);
  EXPECT_EQ(third.summary.videos[0].outcome, video::CacheOutcome::kHit);
  EXPECT_EQ(third.summary.videos[2].outcome, video::CacheOutcome::kRecomputed);
  EXPECT_EQ(third.summary.recomputed, 1);
  EXPECT_EQ(third.summary.hits, 1);
  EXPECT_THAT(third.lines[2], HasSubstr("[3/4] " + f.face5 + ": recomputed, 1 tracks"));
  ExpectSameTensors(first.faces.at(f.face5), third.faces.at(f.face5), f.face5);

  // The summary counts and lists the failures again, with their reasons.
  const std::string text = FormatSummary(third.summary);
  EXPECT_THAT(text, HasSubstr("4 videos: 1 hit, 0 miss, 1 recomputed, 2 failed"));
  EXPECT_THAT(text, HasSubstr("videos/s"));
  EXPECT_THAT(text, HasSubstr("cache: " + cache_dir + ", 2 entries"));
  EXPECT_THAT(text, HasSubstr("failed (2):"));
  EXPECT_THAT(text, HasSubstr("    " + f.broken + "\n"));
  EXPECT_THAT(text, HasSubstr("    " + f.truncated + "\n"));
}

TEST(CacheFacesTest, DatasetManifestVideosRelativeToTheDataset) {
  const std::string dataset = TestTempDir("dataset");
  WriteFile(dataset + "/videos/real_0.mp4", ReadFile(kClip5));
  train::data::Manifest manifest;
  train::data::ManifestEntry real;
  real.file = "videos/real_0.mp4";
  real.label = "real";
  real.method = "real";
  real.split = "train";
  train::data::ManifestEntry gone = real;
  gone.file = "videos/gone.mp4";
  manifest.entries = {real, gone};
  ASSERT_TRUE(train::data::WriteManifest(manifest, dataset + "/manifest.json").ok());

  absl::StatusOr<std::vector<std::string>> videos = ListDatasetVideos(dataset);
  ASSERT_TRUE(videos.ok()) << videos.status();
  EXPECT_THAT(*videos, ElementsAre(dataset + "/videos/real_0.mp4", dataset + "/videos/gone.mp4"));
  const CacheRun run = RunCache(*videos, Options(TestTempDir("dataset_cache")));
  EXPECT_EQ(run.summary.misses, 1);
  EXPECT_EQ(run.summary.failed, 1);
  EXPECT_TRUE(run.summary.videos[0].ok) << run.summary.videos[0].error;
  EXPECT_EQ(run.summary.videos[0].tracks, 1);
  EXPECT_THAT(run.summary.videos[1].error, HasSubstr(dataset + "/videos/gone.mp4"));

  absl::StatusOr<std::vector<std::string>> no_manifest = ListDatasetVideos(dataset + "/videos");
  ASSERT_FALSE(no_manifest.ok());
  EXPECT_THAT(no_manifest.status().message(), HasSubstr(dataset + "/videos/manifest.json"));
  WriteFile(dataset + "/bad/manifest.json", "{ not json");
  absl::StatusOr<std::vector<std::string>> bad = ListDatasetVideos(dataset + "/bad");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr(dataset + "/bad/manifest.json"));
}

TEST(CacheFacesTest, UsageErrorsProcessNothing) {
  const std::string cache_dir = TestTempDir("usage_cache");
  CacheFacesOptions options = Options(cache_dir);
  options.preset = "nosuch";
  absl::StatusOr<CacheRunSummary> summary = CacheFaces({kClip5}, options);
  ASSERT_FALSE(summary.ok());
  EXPECT_THAT(summary.status().message(), HasSubstr("unknown preset 'nosuch'"));
  EXPECT_THAT(summary.status().message(), HasSubstr("default"));

  options = Options(cache_dir);
  options.landmark_model = "/no/such/model.dat";
  summary = CacheFaces({kClip5}, options);
  ASSERT_FALSE(summary.ok());
  EXPECT_THAT(summary.status().message(), HasSubstr("/no/such/model.dat"));
  EXPECT_TRUE(fs::is_empty(cache_dir));
}

TEST(WriteReportTest, UnwritablePathIsAnErrorNamingIt) {
  CacheRunSummary summary;
  const std::string file = TestTempDir("report") + "/file";
  WriteFile(file, "x");
  absl::Status status = WriteReport(summary, file + "/report.json");
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr(file + "/report.json"));
}

}  // namespace
}  // namespace tools
