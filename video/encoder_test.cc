// Tests for video::Encoder: decodable output of the right size and length, reproducible
// bytes, CRF controlling the size, and errors for bad sizes.
#include "video/encoder.h"

#include <cmath>
#include <fstream>
#include <iterator>
#include <string>

#include "base/testing/test_paths.h"
#include "gtest/gtest.h"
#include "video/decoder.h"

namespace video {
namespace {

using ::base::testing::TestTempPath;

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Frame Pattern(int w, int h, int t) {
  Frame f;
  f.width = w, f.height = h;
  f.rgb.resize(size_t(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = f.rgb.data() + (size_t(y) * w + x) * 3;
      p[0] = uint8_t(128 + 100 * std::sin(0.1 * x + 0.2 * t));
      p[1] = uint8_t(128 + 100 * std::cos(0.13 * y - 0.1 * t));
      p[2] = uint8_t(40 + x + y + t);
    }
  return f;
}

absl::Status Encode(const std::string& path, int crf, int frames) {
  EncoderOptions options;
  options.crf = crf;
  options.frame_rate = 25;
  auto encoder = Encoder::Open(path, 96, 64, options);
  if (!encoder.ok()) return encoder.status();
  for (int t = 0; t < frames; ++t) {
    absl::Status s = (*encoder)->Write(Pattern(96, 64, t));
    if (!s.ok()) return s;
  }
  return (*encoder)->Close();
}

TEST(EncoderTest, OutputDecodesWithRequestedSizeAndLength) {
  const std::string path = TestTempPath("encoded.mp4");
  ASSERT_TRUE(Encode(path, 18, 30).ok());
  auto decoder = Decoder::Open(path);
  ASSERT_TRUE(decoder.ok()) << decoder.status();
  EXPECT_EQ((*decoder)->info().codec, "h264");
  EXPECT_NEAR((*decoder)->info().frame_rate, 25, 1e-6);
  int frames = 0;
  double error = 0;
  for (;;) {
    auto frame = (*decoder)->Next();
    ASSERT_TRUE(frame.ok()) << frame.status();
    if (!frame->has_value()) break;
    ASSERT_EQ((*frame)->width, 96);
    ASSERT_EQ((*frame)->height, 64);
    const Frame expected = Pattern(96, 64, frames);
    for (size_t i = 0; i < expected.rgb.size(); ++i) {
      error += std::abs(int((*frame)->rgb[i]) - int(expected.rgb[i]));
    }
    ++frames;
  }
  EXPECT_EQ(frames, 30);
  EXPECT_LT(error / (30.0 * 96 * 64 * 3), 4.0);  // a faithful encode at CRF 18
}

TEST(EncoderTest, SameInputGivesSameBytes) {
  ASSERT_TRUE(Encode(TestTempPath("a.mp4"), 23, 20).ok());
  ASSERT_TRUE(Encode(TestTempPath("b.mp4"), 23, 20).ok());
  const std::string a = ReadBytes(TestTempPath("a.mp4")), b = ReadBytes(TestTempPath("b.mp4"));
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, b);
}

TEST(EncoderTest, HigherCrfGivesSmallerFile) {
  ASSERT_TRUE(Encode(TestTempPath("q18.mp4"), 18, 20).ok());
  ASSERT_TRUE(Encode(TestTempPath("q38.mp4"), 38, 20).ok());
  EXPECT_LT(ReadBytes(TestTempPath("q38.mp4")).size(), ReadBytes(TestTempPath("q18.mp4")).size());
}

TEST(EncoderTest, RejectsOddSizeBadCrfAndMismatchedFrames) {
  const std::string odd = TestTempPath("odd.mp4");
  absl::StatusOr<std::unique_ptr<Encoder>> rejected = Encoder::Open(odd, 95, 64);
  EXPECT_EQ(rejected.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(rejected.status().message(), odd + ": frame size 95x64 must be positive and even");
  EncoderOptions bad;
  bad.crf = 60;
  const std::string crf = TestTempPath("crf.mp4");
  rejected = Encoder::Open(crf, 96, 64, bad);
  EXPECT_EQ(rejected.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(rejected.status().message(), crf + ": crf 60 not in 0..51");
  auto encoder = Encoder::Open(TestTempPath("mismatch.mp4"), 96, 64);
  ASSERT_TRUE(encoder.ok());
  const absl::Status s = (*encoder)->Write(Pattern(64, 64, 0));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), TestTempPath("mismatch.mp4") + ": frame 0 is 64x64, the video is 96x64");
  EXPECT_TRUE((*encoder)->Close().ok());
}

TEST(EncoderTest, UnwritablePathIsAnError) {
  auto encoder = Encoder::Open("/nonexistent-dir/x.mp4", 96, 64);
  EXPECT_EQ(encoder.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(encoder.status().message().substr(0, 47),
            "/nonexistent-dir/x.mp4: cannot open for writing");
}

}  // namespace
}  // namespace video
