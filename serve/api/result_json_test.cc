// ResultToJson / CSV / EncodePng on hand-made results: every value lands in its field,
// "none" sentinels become null, CSV quoting follows RFC 4180, PNGs decode to the image.
#include "serve/api/result_json.h"

#include <zlib.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace serve {
namespace {

DetectionResult Sample() {
  DetectionResult r;
  r.path = "dir/a,\"b\".mp4";
  r.verdict = Verdict::kFake;
  r.fake_probability = 0.75;
  r.threshold = 0.6;
  r.deciding_track = 1;
  for (int id = 0; id < 2; ++id) {
    TrackResult t;
    t.track_id = id;
    t.fake_probability = id == 0 ? 0.25 : 0.75;
    t.fake = id == 1;
    t.num_detections = 3;
    t.median_face_size = 80.5;
    TrackFrame f;
    f.frame_index = 12;
    f.timestamp_seconds = 0.48;
    f.box = {10, 20, 90, 110, 1.5};
    f.detected = false;
    f.score = id == 0 ? -1 : 0.5;
    t.frames.push_back(f);
    t.thumbnails.push_back({2, 1, {255, 0, 0, 0, 0, 255}});
    r.tracks.push_back(t);
  }
  r.video = {"dir/a.mp4", std::string(64, 'a'), 1234, 10.5, 25, 640, 480, "h264", "mp4", 90, 1,
             {"w"}};
  r.model.name = "m.safetensors";
  r.model.preset = "tiny";
  r.model.sha256 = std::string(64, 'b');
  r.times.total = 12.345;
  return r;
}

TEST(ResultJsonTest, Fields) {
  const nlohmann::json j = ResultToJson(Sample());
  EXPECT_EQ(j["schema_version"], kResultSchemaVersion);
  EXPECT_EQ(j["verdict"], "FAKE");
  EXPECT_TRUE(j["reason"].is_null());
  EXPECT_TRUE(j["message"].is_null());
  EXPECT_EQ(j["fake_probability"], 0.75);
  EXPECT_EQ(j["threshold"], 0.6);
  EXPECT_EQ(j["decision_rule"], "any_face");
  EXPECT_EQ(j["deciding_track"], 1);
  ASSERT_EQ(j["tracks"].size(), 2u);
  const nlohmann::json& frame = j["tracks"][1]["frames"][0];
  EXPECT_EQ(frame["frame_index"], 12);
  EXPECT_EQ(frame["box"]["right"], 90);
  EXPECT_EQ(frame["detected"], false);
  EXPECT_EQ(frame["fake_probability"], 0.5);
  EXPECT_TRUE(j["tracks"][0]["frames"][0]["fake_probability"].is_null());
  EXPECT_FALSE(j["tracks"][0].contains("thumbnails"));  // not asked for
  EXPECT_EQ(j["video"]["rotation_degrees"], 90);
  EXPECT_EQ(j["video"]["warnings"][0], "w");
  EXPECT_EQ(j["times_ms"]["total"], 12.345);

  const nlohmann::json full = ResultToJson(Sample(), {true, true});
  EXPECT_THAT(full["tracks"][0]["thumbnails"][0].get<std::string>(),
              ::testing::StartsWith("data:image/png;base64,iVBORw0KGgo"));
  EXPECT_FALSE(ResultToJson(Sample(), {false, false})["tracks"][0].contains("frames"));

  DetectionResult undetermined;
  undetermined.path = "x.mp4";
  undetermined.reason = UndeterminedReason::kNoFace;
  undetermined.message = "x.mp4: no face found in any of 4 sampled frames";
  const nlohmann::json u = ResultToJson(undetermined);
  EXPECT_EQ(u["verdict"], "UNDETERMINED");
  EXPECT_EQ(u["reason"], "no_face");
  EXPECT_EQ(u["message"], undetermined.message);
  EXPECT_TRUE(u["fake_probability"].is_null());
  EXPECT_TRUE(u["deciding_track"].is_null());
  EXPECT_TRUE(u["video"]["sha256"].is_null());
}

TEST(ResultJsonTest, FromJsonReadsBackWhatToJsonWrote) {
  DetectionResult sample = Sample();
  Heatmap heatmap;
  heatmap.width = 2;
  heatmap.height = 1;
  heatmap.values = {0.1f, 0.7f};
  sample.tracks[1].heatmaps.push_back(heatmap);
  DetectionResult undetermined;
  undetermined.path = "x.mp4";
  undetermined.reason = UndeterminedReason::kDamaged;
  undetermined.message = "x.mp4: broken";
  for (const DetectionResult& original : {sample, undetermined}) {
    const nlohmann::json j = ResultToJson(original);
    absl::StatusOr<DetectionResult> read = ResultFromJson(nlohmann::json::parse(j.dump()));
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(ResultToJson(*read).dump(), j.dump());
    EXPECT_EQ(ResultToCsvRow(*read), ResultToCsvRow(original));
  }
}

TEST(ResultJsonTest, FromJsonNamesTheProblem) {
  const nlohmann::json good = ResultToJson(Sample());
  const auto error = [](const nlohmann::json& j) {
    absl::StatusOr<DetectionResult> read = ResultFromJson(j);
    EXPECT_FALSE(read.ok());
    EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(read.status().message());
  };
  nlohmann::json j = good;
  j.erase("verdict");
  EXPECT_EQ(error(j), "$.verdict: missing");
  j = good;
  j["verdict"] = "MAYBE";
  EXPECT_EQ(error(j), "$.verdict: unknown verdict 'MAYBE' (REAL, FAKE, UNDETERMINED)");
  j = good;
  j["schema_version"] = 2;
  EXPECT_EQ(error(j), "$.schema_version: 2 is not the version this build reads (1)");
  j = good;
  j["tracks"][1]["frames"][0]["box"]["left"] = "x";
  EXPECT_EQ(error(j), "$.tracks[1].frames[0].box.left: is not a number");
  j = good;
  j["model"]["sha256"] = nullptr;
  EXPECT_EQ(error(j), "$.model.sha256: is not a string");
  EXPECT_EQ(error(nlohmann::json::array()), "$: is not an object");
}

TEST(ResultJsonTest, Csv) {
  EXPECT_EQ(CsvHeader(),
            "path,verdict,fake_probability,threshold,reason,message,faces,deciding_track,"
            "duration,fps,width,height,codec,sha256,model,preset,model_sha256,total_ms");
  EXPECT_EQ(ResultToCsvRow(Sample()),
            "\"dir/a,\"\"b\"\".mp4\",FAKE,0.75,0.6,,,2,1,10.5,25,640,480,h264," +
                std::string(64, 'a') + ",m.safetensors,tiny," + std::string(64, 'b') + ",12.3");
  DetectionResult u;
  u.path = "x.mp4";
  u.reason = UndeterminedReason::kDamaged;
  u.message = "x.mp4: broken,\nreally";
  EXPECT_EQ(ResultToCsvRow(u),
            "x.mp4,UNDETERMINED,,0.5,damaged,\"x.mp4: broken,\nreally\",0,,0,0,0,0,,,,,,0.0");
}

TEST(ResultJsonTest, PngHoldsTheImage) {
  const Image image{2, 1, {255, 0, 0, 0, 0, 255}};
  const std::string png = EncodePng(image);
  ASSERT_GT(png.size(), 33u);
  EXPECT_EQ(png.substr(0, 8), "\x89PNG\r\n\x1a\n");
  EXPECT_EQ(png.substr(12, 4), "IHDR");
  EXPECT_EQ(static_cast<uint8_t>(png[19]), 2);  // width
  EXPECT_EQ(static_cast<uint8_t>(png[23]), 1);  // height
  // The IDAT payload inflates to a filter byte + the row.
  const size_t idat = png.find("IDAT");
  ASSERT_NE(idat, std::string::npos);
  const uint32_t length =
      (static_cast<uint8_t>(png[idat - 4]) << 24) | (static_cast<uint8_t>(png[idat - 3]) << 16) |
      (static_cast<uint8_t>(png[idat - 2]) << 8) | static_cast<uint8_t>(png[idat - 1]);
  std::vector<uint8_t> raw(7);
  uLongf raw_size = raw.size();
  ASSERT_EQ(uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(png.data() + idat + 4),
                       length),
            Z_OK);
  ASSERT_EQ(raw_size, 7u);
  ASSERT_EQ(raw[0], 0);  // filter None (the adaptive choice for this row): bytes as they are
  EXPECT_THAT(std::vector<uint8_t>(raw.begin() + 1, raw.end()),
              ::testing::ElementsAre(255, 0, 0, 0, 0, 255));
}

}  // namespace
}  // namespace serve
