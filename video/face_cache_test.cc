// Tests for the face cache: XXH64, keys, hit/miss, damaged entries, JSON round trip.
#include "video/face_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "base/hash.h"
#include "base/testing/test_paths.h"
#include "video/preprocess_json.h"

namespace video {
namespace {

using ::base::testing::kLandmarkModelPath;
using ::base::testing::TestTempPath;
using ::testing::HasSubstr;

constexpr char kClip[] = "video/testdata/retalking_face5_2s.mp4";

// Entry names are part of the cache's on-disk format: XXH64 (base/hash.h) of the file's
// bytes and of the key (values from the reference libxxhash).
TEST(FaceCacheTest, EntryPathIsTheXxh64OfContentsAndKey) {
  EXPECT_EQ(base::Xxh64File(kClip).value(), 0xE05E01B755366892ULL);
  EXPECT_EQ(FaceCache("dir").EntryPath(0xE05E01B755366892ULL, "abc"),
            "dir/e05e01b755366892-44bc2cf5ad770999.safetensors");
}

TEST(PreprocessingKeyTest, ChangesWithEveryOutputParameter) {
  nn::Preprocessing p;
  PreprocessOptions o;
  const std::string base = PreprocessingKey(p, o);
  EXPECT_EQ(PreprocessingKey(p, o), base);
  nn::Preprocessing p2 = p;
  p2.channel_order = nn::ChannelOrder::kBgr;
  EXPECT_NE(PreprocessingKey(p2, o), base);
  // Keys written before the typed preset spec stay valid: the same strings and numbers.
  EXPECT_NE(base.find(R"("channel_order":"RGB")"), std::string::npos) << base;
  EXPECT_NE(base.find(R"("crop_mode":"aligned")"), std::string::npos) << base;
  EXPECT_NE(base.find(R"("sampling":[0,1,10000,false])"), std::string::npos) << base;
  EXPECT_NE(PreprocessingKey(p2, o).find(R"("channel_order":"BGR")"), std::string::npos);
  PreprocessOptions o2 = o;
  o2.margin = 1.25;
  EXPECT_NE(PreprocessingKey(p, o2), base);
  o2 = o;
  o2.detector.max_detection_side = 320;
  EXPECT_NE(PreprocessingKey(p, o2), base);
  o2 = o;
  o2.sampling.snap_to_keyframes = true;
  EXPECT_NE(PreprocessingKey(p, o2), base);
  o2 = o;
  o2.parallel = false;  // does not change the output
  EXPECT_EQ(PreprocessingKey(p, o2), base);
}

// The landmark model is keyed by the file it resolves to, not by how its path is spelled.
TEST(PreprocessingKeyTest, SameModelUnderAnotherPathIsTheSameKey) {
  nn::Preprocessing p;
  PreprocessOptions direct, linked, dotted;
  direct.landmark_model_path = std::filesystem::canonical(kLandmarkModelPath).string();
  linked.landmark_model_path = TestTempPath("model_link.dat");
  std::filesystem::remove(linked.landmark_model_path);
  std::filesystem::create_symlink(direct.landmark_model_path, linked.landmark_model_path);
  dotted.landmark_model_path = std::string("./") + kLandmarkModelPath;
  EXPECT_EQ(PreprocessingKey(p, linked), PreprocessingKey(p, direct));
  EXPECT_EQ(PreprocessingKey(p, dotted), PreprocessingKey(p, direct));
  PreprocessOptions other;
  other.landmark_model_path = "/no/such/model.dat";
  EXPECT_NE(PreprocessingKey(p, other), PreprocessingKey(p, direct));
}

TEST(FaceCacheTest, MissThenHitThenRecomputesADamagedEntry) {
  const std::string dir = TestTempPath("cache");
  FaceCache cache(dir);
  nn::Preprocessing p;
  p.frames = 4;
  p.image_size = 64;
  PreprocessOptions options;
  options.landmark_model_path = kLandmarkModelPath;
  CacheOutcome outcome;
  absl::StatusOr<PreprocessedVideo> first = cache.Get(kClip, p, options, &outcome);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(outcome, CacheOutcome::kMiss);
  const std::string entry =
      cache.EntryPath(base::Xxh64File(kClip).value(), PreprocessingKey(p, options));
  ASSERT_TRUE(std::filesystem::exists(entry));
  // Stored as 8-bit crops: a quarter of the float32 tensor, plus the metadata.
  const nn::Tensor& computed = first->tracks[0].faces;
  EXPECT_LT(std::filesystem::file_size(entry), computed.bytes() / 4 + 64 * 1024);

  absl::StatusOr<PreprocessedVideo> second = cache.Get(kClip, p, options, &outcome);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(outcome, CacheOutcome::kHit);
  ASSERT_EQ(second->tracks.size(), first->tracks.size());
  const nn::Tensor& a = first->tracks[0].faces;
  const nn::Tensor& b = second->tracks[0].faces;
  ASSERT_EQ(a.shape(), b.shape());
  EXPECT_EQ(std::memcmp(a.raw_data(), b.raw_data(), a.bytes()), 0);
  EXPECT_EQ(second->frames.size(), 4u);
  EXPECT_EQ(second->frames[2].index, first->frames[2].index);
  EXPECT_DOUBLE_EQ(second->tracks[0].track.faces[1].box.left,
                   first->tracks[0].track.faces[1].box.left);
  EXPECT_DOUBLE_EQ(second->tracks[0].track.faces[1].landmarks.points[30].y,
                   first->tracks[0].track.faces[1].landmarks.points[30].y);

  // Flip one byte of tensor data: detected by the checksum, recomputed.
  {
    std::fstream file(entry, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(-100, std::ios::end);
    char byte;
    file.read(&byte, 1);
    file.seekp(-100, std::ios::end);
    byte = static_cast<char>(byte ^ 0x5a);
    file.write(&byte, 1);
  }
  absl::StatusOr<PreprocessedVideo> third = cache.Get(kClip, p, options, &outcome);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(outcome, CacheOutcome::kRecomputed);
  EXPECT_EQ(std::memcmp(a.raw_data(), third->tracks[0].faces.raw_data(), a.bytes()), 0);

  // Truncated: recomputed too; then a hit again.
  std::filesystem::resize_file(entry, 50);
  ASSERT_TRUE(cache.Get(kClip, p, options, &outcome).ok());
  EXPECT_EQ(outcome, CacheOutcome::kRecomputed);
  ASSERT_TRUE(cache.Get(kClip, p, options, &outcome).ok());
  EXPECT_EQ(outcome, CacheOutcome::kHit);

  // Other parameters: another entry.
  p.image_size = 32;
  ASSERT_TRUE(cache.Get(kClip, p, options, &outcome).ok());
  EXPECT_EQ(outcome, CacheOutcome::kMiss);
}

TEST(FaceCacheTest, ErrorsPassThroughAndAreNotCached) {
  const std::string dir = TestTempPath("cache_errors");
  FaceCache cache(dir);
  PreprocessOptions options;
  options.landmark_model_path = kLandmarkModelPath;
  absl::StatusOr<PreprocessedVideo> video = cache.Get("/no/such/video.mp4", {}, options);
  EXPECT_EQ(video.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(video.status().message(), "/no/such/video.mp4: no such file");
  EXPECT_FALSE(std::filesystem::exists(dir) && !std::filesystem::is_empty(dir));
}

TEST(PreprocessedVideoJsonTest, RoundTrips) {
  PreprocessedVideo video;
  video.path = "a.mp4";
  video.width = 640;
  video.height = 480;
  video.preprocessing.channel_order = nn::ChannelOrder::kBgr;
  video.crop_mode = CropMode::kExactBox;
  video.margin = 1.0;
  video.frames = {{0, 0.0, 1}, {12, 0.5, 0}};
  PreprocessedTrack track;
  track.track.id = 0;
  track.track.num_detections = 1;
  track.track.faces.resize(2);
  track.track.faces[0].box = {1, 2, 3, 4, 0.7};
  track.track.faces[0].landmarks.points[5] = {6.5, 7.25};
  track.track.faces[1].filled = true;
  video.tracks.push_back(track);
  video.decode_report.warnings = {"a.mp4: damaged"};
  const nlohmann::json json = PreprocessedVideoToJson(video);
  EXPECT_EQ(json["tracks"][0]["frames"][1]["frame_index"], 12);
  EXPECT_EQ(json["preprocessing"]["channel_order"], "BGR");
  EXPECT_EQ(json["crop"]["mode"], "exact_box");
  absl::StatusOr<PreprocessedVideo> back = PreprocessedVideoFromJson(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(PreprocessedVideoToJson(*back), json);
  EXPECT_EQ(back->crop_mode, CropMode::kExactBox);
  EXPECT_DOUBLE_EQ(back->tracks[0].track.faces[0].landmarks.points[5].y, 7.25);
  EXPECT_TRUE(back->tracks[0].track.faces[1].filled);
  nlohmann::json broken = json;
  broken.erase("frames");
  const absl::StatusOr<PreprocessedVideo> error = PreprocessedVideoFromJson(broken);
  EXPECT_EQ(error.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(error.status().message()), HasSubstr("malformed face metadata: "));
  nlohmann::json bad_order = json;
  bad_order["preprocessing"]["channel_order"] = "GRB";
  EXPECT_EQ(PreprocessedVideoFromJson(bad_order).status().message(),
            "unknown channel order 'GRB' (allowed: RGB, BGR)");
  nlohmann::json bad_crop = json;
  bad_crop["crop"]["mode"] = "tight";
  EXPECT_EQ(PreprocessedVideoFromJson(bad_crop).status().message(),
            "unknown crop mode 'tight' (allowed: aligned, exact_box)");
}

}  // namespace
}  // namespace video
