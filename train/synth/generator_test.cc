// End-to-end tests of the dataset generator on synthetic face clips with known landmarks:
// outputs decode with the requested length and size, the manifest agrees with the files,
// the same seed gives the same bytes, the split is identity-disjoint, swapped faces show
// the source identity and frames are unchanged outside the face up to encoding noise.
#include "train/synth/generator.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "base/testing/test_paths.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "train/synth/mask.h"
#include "train/synth/synthetic_faces.h"
#include "video/encoder.h"

namespace train::synth {
namespace {

namespace fs = std::filesystem;
using data::ManifestEntry;
using data::ReadManifest;
using testing::RenderSyntheticFace;
using testing::SyntheticLandmarks;

struct TestClip {
  const char* id;
  int identity_texture;
  const char* identity;
  int width, height;
};
// Two clips of one person (p), and three other people; sizes differ per clip.
const TestClip kClips[] = {{"p1", 0, "p", 160, 128},
                           {"p2", 0, "p", 144, 128},
                           {"q", 1, "q", 176, 144},
                           {"r", 2, "r", 160, 144},
                           {"s", 3, "s", 192, 144}};
constexpr int kClipFrames = 16;

std::string ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class GeneratorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::path(getenv("TEST_TMPDIR")) / "clips");
    fs::create_directories(*dir_);
    for (const TestClip& c : kClips) {
      video::EncoderOptions options;
      options.crf = 8;
      auto encoder = video::Encoder::Open((*dir_ / (std::string(c.id) + ".mp4")).string(), c.width,
                                          c.height, options);
      ASSERT_TRUE(encoder.ok()) << encoder.status();
      for (int t = 0; t < kClipFrames; ++t) {
        const Image image = RenderSyntheticFace(c.width, c.height, t, c.identity_texture);
        video::Frame frame;
        frame.width = c.width, frame.height = c.height;
        frame.rgb = ImageToRgb8(image);
        ASSERT_TRUE((*encoder)->Write(frame).ok());
      }
      ASSERT_TRUE((*encoder)->Close().ok());
    }
  }

  static std::vector<ClipSpec> Clips() {
    auto clips = ClipsFromDirectory(dir_->string(), {{"p1", "p2"}});
    EXPECT_TRUE(clips.ok()) << clips.status();
    return *clips;
  }

  static GeneratorOptions Options(const std::string& out, uint64_t seed) {
    GeneratorOptions o;
    o.output_dir = (fs::path(getenv("TEST_TMPDIR")) / out).string();
    o.seed = seed;
    o.max_frames = 12;
    o.swaps_per_clip = 2;
    o.self_blends_per_clip = 2;
    o.crfs = {16};
    o.split = {0.5, 0.5, 0};
    o.contact_sheet = o.output_dir + "/sheet.png";
    o.thumbnail_size = 48;
    return o;
  }

  static fs::path* dir_;
};
fs::path* GeneratorTest::dir_ = nullptr;

TEST_F(GeneratorTest, ClipsFromDirectoryGroupsIdentities) {
  const std::vector<ClipSpec> clips = Clips();
  ASSERT_EQ(clips.size(), 5u);
  EXPECT_EQ(clips[0].clip_id, "p1");
  EXPECT_EQ(clips[1].identity, "p1");  // p2 is the same person as p1
  EXPECT_EQ(clips[2].identity, "q");
  const absl::StatusOr<std::vector<ClipSpec>> missing = ClipsFromDirectory("/nonexistent", {});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "/nonexistent: no such folder");
}

// Videos in subfolders count (any case of a known extension); two files with one stem are
// an error naming both.
TEST_F(GeneratorTest, ClipsFromDirectoryRecursesAndRejectsDuplicateIds) {
  const std::string dir = base::testing::TestTempDir("nested");
  fs::create_directories(dir + "/people/q");
  fs::copy_file(*dir_ / "p1.mp4", dir + "/p1.MP4");
  fs::copy_file(*dir_ / "q.mp4", dir + "/people/q/q.mov");
  std::ofstream(dir + "/notes.txt") << "not a video";
  absl::StatusOr<std::vector<ClipSpec>> clips = ClipsFromDirectory(dir, {});
  ASSERT_TRUE(clips.ok()) << clips.status();
  ASSERT_EQ(clips->size(), 2u);
  EXPECT_EQ((*clips)[0].path, dir + "/p1.MP4");
  EXPECT_EQ((*clips)[1].clip_id, "q");
  EXPECT_EQ((*clips)[1].path, dir + "/people/q/q.mov");

  fs::copy_file(*dir_ / "q.mp4", dir + "/q.mkv");
  clips = ClipsFromDirectory(dir, {});
  EXPECT_EQ(clips.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(clips.status().message(),
            dir + ": two clips with the id 'q': " + dir + "/people/q/q.mov and " + dir + "/q.mkv");

  const absl::StatusOr<std::vector<ClipSpec>> empty =
      ClipsFromDirectory(base::testing::TestTempDir("empty"), {});
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(empty.status().message()), ::testing::HasSubstr(": no video files"));
}

TEST_F(GeneratorTest, OutputsDecodeAndAgreeWithTheManifest) {
  const GeneratorOptions options = Options("run", 7);
  testing::SyntheticLandmarkSource landmarks;
  auto manifest = GenerateDataset(Clips(), options, landmarks);
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_TRUE(fs::exists(options.contact_sheet));
  auto reread = ReadManifest(options.output_dir + "/manifest.json");
  ASSERT_TRUE(reread.ok()) << reread.status();
  ASSERT_EQ(reread->entries.size(), manifest->entries.size());
  EXPECT_TRUE(CheckIdentityDisjoint(*manifest).ok());

  int real = 0, swaps = 0, blends = 0;
  std::set<std::string> splits;
  for (const ManifestEntry& e : manifest->entries) {
    SCOPED_TRACE(e.file);
    EXPECT_EQ(e.label, e.method == "real" ? "real" : "fake");
    real += e.method == "real", swaps += e.method == "face_swap",
        blends += e.method == "self_blend";
    splits.insert(e.split);
    if (e.method == "face_swap") {
      EXPECT_NE(e.source_identity, e.target_identity);
      EXPECT_EQ(e.params["blend"].is_string(), true);
    } else {
      EXPECT_EQ(e.source_clip, e.target_clip);
    }
    const TestClip* clip = nullptr;
    for (const TestClip& c : kClips) clip = e.target_clip == c.id ? &c : clip;
    ASSERT_NE(clip, nullptr);
    auto decoded = LoadClip(options.output_dir + "/" + e.file, 1000, 1000);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(int(decoded->frames.size()), options.max_frames);
    EXPECT_EQ(e.frames, options.max_frames);
    EXPECT_EQ(decoded->frames[0].width, clip->width);
    EXPECT_EQ(decoded->frames[0].height, clip->height);
    EXPECT_EQ(e.width, clip->width);
    EXPECT_EQ(e.crf, 16);
  }
  EXPECT_EQ(real, 5);
  EXPECT_EQ(swaps + blends, 5 * 4);
  EXPECT_GT(swaps, 0);
  EXPECT_EQ(splits.size(), 2u);

  // The split layout has every video under its label.
  const std::string out = options.output_dir + "/splits";
  ASSERT_TRUE(WriteSplitLayout(*manifest, options.output_dir, out).ok());
  for (const ManifestEntry& e : manifest->entries) {
    EXPECT_TRUE(fs::exists(fs::path(out) / e.split / e.label / fs::path(e.file).filename()));
  }
}

TEST_F(GeneratorTest, SameSeedSameBytesOtherSeedOtherBytes) {
  testing::SyntheticLandmarkSource landmarks;
  GeneratorOptions a = Options("seed_a", 11), b = Options("seed_b", 11), c = Options("seed_c", 12);
  b.threads = 1;  // scheduling must not matter
  auto ma = GenerateDataset(Clips(), a, landmarks);
  auto mb = GenerateDataset(Clips(), b, landmarks);
  auto mc = GenerateDataset(Clips(), c, landmarks);
  ASSERT_TRUE(ma.ok() && mb.ok() && mc.ok());
  ASSERT_EQ(ma->entries.size(), mb->entries.size());
  int differ = 0;
  for (size_t i = 0; i < ma->entries.size(); ++i) {
    const std::string bytes = ReadBytes(fs::path(a.output_dir) / ma->entries[i].file);
    ASSERT_FALSE(bytes.empty());
    EXPECT_TRUE(bytes == ReadBytes(fs::path(b.output_dir) / mb->entries[i].file))
        << ma->entries[i].file << " differs between two runs with seed 11";
    const fs::path other = fs::path(c.output_dir) / ma->entries[i].file;
    differ += !fs::exists(other) || ReadBytes(other) != bytes;
  }
  EXPECT_TRUE(ReadBytes(a.output_dir + "/manifest.json") ==
              ReadBytes(b.output_dir + "/manifest.json"));
  EXPECT_GT(differ, 0);
}

TEST_F(GeneratorTest, SwapShowsTheSourceFaceAndKeepsTheRest) {
  testing::SyntheticLandmarkSource landmarks;
  const GeneratorOptions options = Options("swap", 3);
  auto manifest = GenerateDataset(Clips(), options, landmarks);
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  int checked = 0;
  for (const ManifestEntry& e : manifest->entries) {
    if (e.method != "face_swap") continue;
    SCOPED_TRACE(e.file);
    const TestClip *target = nullptr, *source = nullptr;
    for (const TestClip& c : kClips) {
      target = e.target_clip == c.id ? &c : target;
      source = e.source_clip == c.id ? &c : source;
    }
    auto fake = LoadClip(options.output_dir + "/" + e.file, 100, 1000);
    auto real = LoadClip(options.output_dir + "/videos/" + e.target_clip + "__real.mp4", 100, 1000);
    ASSERT_TRUE(fake.ok() && real.ok());
    for (int t : {0, 6, 11}) {
      const Landmarks lt = SyntheticLandmarks(target->width, target->height, t);
      const Landmarks ls = SyntheticLandmarks(source->width, source->height, t);
      const Image reference =
          RenderSyntheticFace(source->width, source->height, t, source->identity_texture);
      const video::Frame &ff = fake->frames[t], &rf = real->frames[t];
      const Image fake_image = ImageFromRgb8(ff.rgb.data(), ff.width, ff.height);
      const Image real_image = ImageFromRgb8(rf.rgb.data(), rf.width, rf.height);
      const double before = testing::AlignedFaceDistance(real_image, lt, reference, ls);
      const double after = testing::AlignedFaceDistance(fake_image, lt, reference, ls);
      EXPECT_LT(after, 0.7 * before) << "frame " << t << ": " << before << " -> " << after;
      // Outside the face hull (grown by 4 px for codec blocks), only encoding noise.
      const Mask hull = FillPolygon(ConvexHull(lt), ff.width, ff.height);
      Mask near = hull;
      GaussianBlur(&near, 3);
      double outside = 0, inside = 0;
      int n_out = 0, n_in = 0;
      for (int y = 0; y < ff.height; ++y)
        for (int x = 0; x < ff.width; ++x) {
          const double d = std::abs(fake_image.at(x, y)[0] - real_image.at(x, y)[0]) +
                           std::abs(fake_image.at(x, y)[1] - real_image.at(x, y)[1]) +
                           std::abs(fake_image.at(x, y)[2] - real_image.at(x, y)[2]);
          if (near.at(x, y) == 0) outside += d / 3, ++n_out;
          if (hull.at(x, y) > 0) inside += d / 3, ++n_in;
        }
      EXPECT_LT(outside / n_out, 2.0) << "frame " << t;
      EXPECT_GT(inside / n_in, 5 * outside / n_out) << "frame " << t;
    }
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace train::synth
