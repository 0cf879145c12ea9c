// Tests for the face cache: XXH64, keys, hit/miss, damaged entries, JSON round trip.
#include "video/face_cache.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "video/preprocess_json.h"

namespace video {
namespace {

constexpr char kModel[] = "external/dlib/shape_predictor_68_face_landmarks.dat";
constexpr char kClip[] = "video/testdata/retalking_face5_2s.mp4";

std::string TempDir(const std::string& name) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

TEST(Xxh64Test, KnownValues) {
  EXPECT_EQ(HashBytes("", 0), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(HashBytes("a", 1), 0xD24EC4F1A98C6E5BULL);
  EXPECT_EQ(HashBytes("abc", 3), 0x44BC2CF5AD770999ULL);
}

TEST(Xxh64Test, StreamingEqualsOneShotForAnySplit) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>(i * 7 + 3));
  const uint64_t whole = HashBytes(data.data(), data.size(), 42);
  for (size_t split : {0, 1, 31, 32, 33, 100, 999}) {
    Xxh64 hash(42);
    hash.Update(data.data(), split);
    hash.Update(data.data() + split, data.size() - split);
    EXPECT_EQ(hash.Digest(), whole) << split;
  }
  EXPECT_NE(HashBytes(data.data(), data.size(), 0), whole);
}

TEST(HashFileTest, HashesContentsAndNamesMissingFiles) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/bytes.bin";
  std::ofstream(path, std::ios::binary) << "abc";
  EXPECT_EQ(HashFile(path).value(), 0x44BC2CF5AD770999ULL);
  absl::StatusOr<uint64_t> missing = HashFile("/no/such/file");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/no/such/file"), std::string::npos);
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
  direct.landmark_model_path = std::filesystem::canonical(kModel).string();
  linked.landmark_model_path = std::string(std::getenv("TEST_TMPDIR")) + "/model_link.dat";
  std::filesystem::remove(linked.landmark_model_path);
  std::filesystem::create_symlink(direct.landmark_model_path, linked.landmark_model_path);
  dotted.landmark_model_path = std::string("./") + kModel;
  EXPECT_EQ(PreprocessingKey(p, linked), PreprocessingKey(p, direct));
  EXPECT_EQ(PreprocessingKey(p, dotted), PreprocessingKey(p, direct));
  PreprocessOptions other;
  other.landmark_model_path = "/no/such/model.dat";
  EXPECT_NE(PreprocessingKey(p, other), PreprocessingKey(p, direct));
}

TEST(FaceCacheTest, MissThenHitThenRecomputesADamagedEntry) {
  const std::string dir = TempDir("cache");
  FaceCache cache(dir);
  nn::Preprocessing p;
  p.frames = 4;
  p.image_size = 64;
  PreprocessOptions options;
  options.landmark_model_path = kModel;
  CacheOutcome outcome;
  absl::StatusOr<PreprocessedVideo> first = cache.Get(kClip, p, options, &outcome);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(outcome, CacheOutcome::kMiss);
  const std::string entry = cache.EntryPath(HashFile(kClip).value(), PreprocessingKey(p, options));
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
  const std::string dir = TempDir("cache_errors");
  FaceCache cache(dir);
  PreprocessOptions options;
  options.landmark_model_path = kModel;
  absl::StatusOr<PreprocessedVideo> video = cache.Get("/no/such/video.mp4", {}, options);
  ASSERT_FALSE(video.ok());
  EXPECT_NE(video.status().message().find("/no/such/video.mp4"), std::string::npos);
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
  EXPECT_FALSE(PreprocessedVideoFromJson(broken).ok());
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
