// Tests for FaceStore on the committed training fixtures: the stored crops are exactly what
// inference's preprocessing gives, landmarks land where the aligned crop puts the face,
// the cache is reused, and bad videos are skipped with their reason.
#include "train/data/face_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/testing/test_paths.h"
#include "nn/models/presets.h"
#include "train/data/dataset.h"
#include "video/align.h"
#include "video/preprocess.h"

namespace train::data {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kFixtures[] = "train/testdata";

VideoItem Item(const std::string& name, int label) {
  VideoItem item;
  item.path = std::string(kFixtures) + "/videos/" + name + ".mp4";
  item.label = label;
  item.source_clip = item.path;
  return item;
}

std::vector<VideoItem> TwoPairs() {
  return {Item("real_retalking_face1", 0), Item("fake_retalking_face1", 1),
          Item("real_sadtalker_RD_Radio2_000", 0), Item("fake_sadtalker_RD_Radio2_000", 1)};
}

nn::ModelPreset Tiny() { return *nn::GetPreset("tiny"); }

TEST(FaceStoreTest, StoresWhatPreprocessingGives) {
  FaceStoreOptions options;
  options.cache_dir = base::testing::TestTempDir("cache");
  std::vector<std::string> progress;
  absl::StatusOr<FaceStore> store =
      FaceStore::Build(TwoPairs(), Tiny(), options,
                       [&](int done, int total, const std::string& path, const std::string& e) {
                         progress.push_back(absl::StrCat(done, "/", total, " ", path, e));
                       });
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_EQ(progress.size(), 4u);
  EXPECT_EQ(progress[3], "4/4 train/testdata/videos/fake_sadtalker_RD_Radio2_000.mp4");
  EXPECT_TRUE(store->skipped().empty());
  EXPECT_EQ(store->UsableVideos(0), 2);
  EXPECT_EQ(store->UsableVideos(1), 2);
  ASSERT_EQ(store->tracks().size(), 4u);  // one person per clip
  for (size_t i = 0; i < store->tracks().size(); ++i) {
    const StoredTrack& track = store->tracks()[i];
    EXPECT_EQ(track.video, static_cast<int>(i));
    EXPECT_EQ(track.frames, 4);
    EXPECT_EQ(track.size, 32);
    ASSERT_EQ(track.rgb.size(), 4u * 32 * 32 * 3);
    ASSERT_EQ(track.landmarks.size(), 4u);
    // Inference's preprocessing of the same file gives the same bytes.
    absl::StatusOr<video::PreprocessedVideo> direct =
        video::PreprocessVideo(store->videos()[i].path, Tiny());
    ASSERT_TRUE(direct.ok()) << direct.status();
    for (int f = 0; f < 4; ++f) {
      const std::vector<uint8_t> rgb =
          video::TensorFrameToRgb(direct->tracks[0].faces, f, direct->preprocessing);
      ASSERT_TRUE(std::equal(rgb.begin(), rgb.end(), track.rgb.begin() + f * rgb.size()))
          << "video " << i << " frame " << f;
    }
  }
}

// The aligned crop maps the eye centres and the mouth onto the template (a least-squares fit
// of three points, so within a pixel or so at 32 px): the stored landmarks must agree.
TEST(FaceStoreTest, LandmarksAreInCropPixels) {
  FaceStoreOptions options;
  options.cache_dir = base::testing::TestTempDir("cache");
  absl::StatusOr<FaceStore> store = FaceStore::Build(TwoPairs(), Tiny(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  const double margin = Tiny().faces.margin;
  auto template_px = [&](double fraction) { return ((fraction - 0.5) / margin + 0.5) * 32 - 0.5; };
  for (const StoredTrack& track : store->tracks()) {
    for (const auto& lm : track.landmarks) {
      ASSERT_EQ(lm.size(), 68u);
      auto mean = [&](int first, int last, int axis) {
        double sum = 0;
        for (int i = first; i <= last; ++i) sum += lm[i][axis];
        return sum / (last - first + 1);
      };
      EXPECT_NEAR(mean(36, 41, 0), template_px(video::kTemplateLeftEyeX), 1.5);
      EXPECT_NEAR(mean(42, 47, 0), template_px(video::kTemplateRightEyeX), 1.5);
      EXPECT_NEAR(mean(36, 47, 1), template_px(video::kTemplateEyeY), 1.5);
      EXPECT_NEAR(mean(48, 67, 0), template_px(video::kTemplateMouthX), 1.5);
      EXPECT_NEAR(mean(48, 67, 1), template_px(video::kTemplateMouthY), 1.5);
    }
  }
}

TEST(FaceStoreTest, SecondBuildReadsTheCache) {
  FaceStoreOptions options;
  options.cache_dir = base::testing::TestTempDir("cache");
  absl::StatusOr<FaceStore> first = FaceStore::Build(TwoPairs(), Tiny(), options);
  ASSERT_TRUE(first.ok()) << first.status();
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(options.cache_dir)) entries.push_back(e.path());
  ASSERT_EQ(entries.size(), 4u);
  const auto written = fs::last_write_time(entries[0]);
  absl::StatusOr<FaceStore> second = FaceStore::Build(TwoPairs(), Tiny(), options);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(fs::last_write_time(entries[0]), written);  // read, not rewritten
  ASSERT_EQ(second->tracks().size(), first->tracks().size());
  for (size_t i = 0; i < first->tracks().size(); ++i) {
    EXPECT_EQ(second->tracks()[i].rgb, first->tracks()[i].rgb);
    EXPECT_EQ(second->tracks()[i].landmarks, first->tracks()[i].landmarks);
  }
}

TEST(FaceStoreTest, MoreFramesForTemporalJitter) {
  FaceStoreOptions options;
  options.cache_dir = base::testing::TestTempDir("cache");
  options.frames_per_video = 8;
  absl::StatusOr<FaceStore> store =
      FaceStore::Build({Item("real_retalking_face1", 0)}, Tiny(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_EQ(store->tracks().size(), 1u);
  EXPECT_EQ(store->tracks()[0].frames, 8);
  EXPECT_EQ(store->tracks()[0].rgb.size(), 8u * 32 * 32 * 3);
  EXPECT_EQ(store->tracks()[0].landmarks.size(), 8u);
}

TEST(FaceStoreTest, SkipsBadVideosWithTheReason) {
  const std::string dir = base::testing::TestTempDir("videos");
  const std::string not_video = dir + "/notes.mp4";
  std::ofstream(not_video) << "this is not a video";
  std::vector<VideoItem> items = TwoPairs();
  items.push_back({dir + "/missing.mp4", 1, {}, dir + "/missing.mp4", ""});
  items.push_back({not_video, 0, {}, not_video, ""});
  FaceStoreOptions options;
  options.cache_dir = base::testing::TestTempDir("cache");
  std::vector<std::string> errors;
  absl::StatusOr<FaceStore> store = FaceStore::Build(
      items, Tiny(), options,
      [&](int, int, const std::string&, const std::string& error) { errors.push_back(error); });
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(store->UsableVideos(0), 2);
  EXPECT_EQ(store->UsableVideos(1), 2);
  ASSERT_EQ(store->skipped().size(), 2u);
  EXPECT_EQ(store->skipped()[0].path, dir + "/missing.mp4");
  EXPECT_EQ(store->skipped()[0].label, 1);
  EXPECT_THAT(store->skipped()[0].reason, HasSubstr("missing.mp4"));
  EXPECT_EQ(store->skipped()[1].path, not_video);
  EXPECT_THAT(store->skipped()[1].reason, HasSubstr("notes.mp4"));
  EXPECT_EQ(errors[4], store->skipped()[0].reason);
  EXPECT_EQ(errors[5], store->skipped()[1].reason);

  const nlohmann::json json = store->ToJson();
  EXPECT_EQ(json["videos"], 6);
  EXPECT_EQ(json["tracks"], 4);
  EXPECT_EQ(json["usable"]["real"], 2);
  EXPECT_EQ(json["usable"]["fake"], 2);
  ASSERT_EQ(json["skipped"].size(), 2u);
  EXPECT_EQ(json["skipped"][0]["path"], dir + "/missing.mp4");
  EXPECT_EQ(json["skipped"][0]["label"], "fake");
  EXPECT_EQ(json["skipped"][0]["reason"], store->skipped()[0].reason);
}

TEST(FaceStoreTest, StrictDetectionFractionSkipsWithReason) {
  FaceStoreOptions options;
  options.cache_dir = base::testing::TestTempDir("cache");
  options.min_detected_fraction = 1.5;  // no track can have 150% of its frames detected
  absl::StatusOr<FaceStore> store =
      FaceStore::Build({Item("real_retalking_face1", 0)}, Tiny(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE(store->tracks().empty());
  ASSERT_EQ(store->skipped().size(), 1u);
  EXPECT_EQ(store->skipped()[0].reason,
            "train/testdata/videos/real_retalking_face1.mp4: no face track detected in at least "
            "150% of the 4 sampled frames (best: 4)");
}

TEST(FaceStoreTest, CacheErrors) {
  FaceStoreOptions options;
  absl::StatusOr<FaceStore> store = FaceStore::Build(TwoPairs(), Tiny(), options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().message(), "FaceStore: no face cache directory given");

  const std::string file = base::testing::TestTempPath("a_file");
  std::ofstream(file) << "x";
  options.cache_dir = file + "/cache";
  store = FaceStore::Build(TwoPairs(), Tiny(), options);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(),
              HasSubstr(file + "/cache: cannot create the face cache directory"));
}

}  // namespace
}  // namespace train::data
