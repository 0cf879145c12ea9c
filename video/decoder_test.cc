// Tests for video::Decoder on real face clips, generated clips in many codecs and containers
// (rotated, variable frame rate, odd sizes), seeking, and damaged or invalid input.
#include "video/decoder.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <tuple>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "video/decoder_rgb.h"
#include "video/decoder_test_util.h"
#include "video/testing/synthetic_clips.h"

namespace video {
namespace {

using ::testing::HasSubstr;
using testing::SyntheticClipOptions;

std::string MakeClip(const std::string& name, SyntheticClipOptions options) {
  const std::string path = TestTempPath(name);
  const absl::Status status = testing::WriteSyntheticClip(path, options);
  EXPECT_TRUE(status.ok()) << status;
  return path;
}

TEST(DecoderTest, RealFaceClips) {
  for (const auto& [name, size, fps] :
       std::vector<std::tuple<std::string, int, double>>{{"retalking_face2_2s.mp4", 844, 25},
                                                         {"retalking_face5_2s.mp4", 524, 25},
                                                         {"liveportrait_d3_2s.mp4", 512, 30}}) {
    SCOPED_TRACE(name);
    auto decoder = Decoder::Open("video/testdata/" + name);
    ASSERT_TRUE(decoder.ok()) << decoder.status();
    const VideoInfo& info = (*decoder)->info();
    EXPECT_EQ(info.codec, "h264");
    EXPECT_EQ(info.width, size);
    EXPECT_EQ(info.height, size);
    EXPECT_NEAR(info.frame_rate, fps, 0.01);
    EXPECT_NEAR(info.duration_seconds, 2.0, 0.2);
    EXPECT_TRUE(info.seekable);
    const std::vector<Frame> frames = DecodeAll(**decoder);
    EXPECT_NEAR(frames.size(), info.estimated_frames, 3);
    ASSERT_GT(frames.size(), 40u);
    for (size_t i = 0; i < frames.size(); ++i) {
      EXPECT_EQ(frames[i].index, static_cast<int64_t>(i));
      EXPECT_EQ(frames[i].rgb.size(), size_t(size) * size * 3);
      if (i > 0) {
        EXPECT_GT(frames[i].timestamp_seconds, frames[i - 1].timestamp_seconds);
      }
    }
    // A face clip is not a flat image: the centre differs from the corner.
    const Frame& f = frames[0];
    EXPECT_NE(std::memcmp(f.pixel(size / 2, size / 2), f.pixel(1, 1), 3), 0);
    EXPECT_EQ((*decoder)->report().packets_corrupt, 0);
  }
}

struct CodecCase {
  std::string codec, extension;
  int width, height;
};

class CodecMatrixTest : public ::testing::TestWithParam<CodecCase> {};

TEST_P(CodecMatrixTest, DecodesEveryFrameInOrder) {
  const CodecCase& c = GetParam();
  if (!testing::HasEncoder(c.codec)) GTEST_SKIP() << "no encoder " << c.codec;
  SyntheticClipOptions options;
  options.codec = c.codec;
  options.width = c.width;
  options.height = c.height;
  options.frames = 20;
  options.fps = 10;
  const std::string path = MakeClip("matrix_" + c.codec + "." + c.extension, options);
  auto decoder = Decoder::Open(path);
  ASSERT_TRUE(decoder.ok()) << decoder.status();
  EXPECT_EQ((*decoder)->info().width, c.width);
  EXPECT_EQ((*decoder)->info().height, c.height);
  EXPECT_NEAR((*decoder)->info().frame_rate, 10, 0.5);
  const std::vector<Frame> frames = DecodeAll(**decoder);
  ASSERT_EQ(frames.size(), 20u);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(testing::ReadFrameNumber(frames[i]), i) << "frame " << i;
    EXPECT_NEAR(frames[i].timestamp_seconds, i * 0.1, 0.011) << "frame " << i;
  }
  // Colour: the orientation marker is red, the top right green.
  const uint8_t* red = frames[0].pixel(2, 2);
  EXPECT_GT(red[0], 200);
  EXPECT_LT(red[1], 60);
  const uint8_t* green = frames[0].pixel(c.width - 3, 2);
  EXPECT_LT(green[0], 60);
  EXPECT_GT(green[1], 150);
}

INSTANTIATE_TEST_SUITE_P(
    Codecs, CodecMatrixTest,
    ::testing::Values(CodecCase{"libx264", "mp4", 160, 120}, CodecCase{"libx264", "mov", 160, 120},
                      CodecCase{"libx264", "mkv", 160, 120}, CodecCase{"libx264", "flv", 160, 120},
                      CodecCase{"libx265", "mp4", 160, 120},
                      CodecCase{"libvpx-vp9", "webm", 160, 120},
                      CodecCase{"mpeg4", "avi", 160, 120}, CodecCase{"gif", "gif", 97, 61},
                      CodecCase{"h263", "3gp", 176, 144}, CodecCase{"wmv2", "wmv", 160, 120},
                      CodecCase{"flv", "flv", 160, 120}, CodecCase{"mjpeg", "avi", 162, 122}),
    [](const auto& info) {
      std::string name = info.param.codec + "_" + info.param.extension;
      for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return name;
    });

TEST(DecoderTest, OddSizeH264) {
  SyntheticClipOptions options;
  options.width = 97;
  options.height = 61;
  options.pixel_format = "yuv444p";
  options.frames = 5;
  auto decoder = Decoder::Open(MakeClip("odd.mp4", options));
  ASSERT_TRUE(decoder.ok()) << decoder.status();
  const auto frames = DecodeAll(**decoder);
  ASSERT_EQ(frames.size(), 5u);
  EXPECT_EQ(frames[4].width, 97);
  EXPECT_EQ(frames[4].height, 61);
  EXPECT_EQ(testing::ReadFrameNumber(frames[4]), 4);
}

class RotationTest : public ::testing::TestWithParam<int> {};

TEST_P(RotationTest, RotatesLikeAPlayer) {
  const int degrees = GetParam();
  SyntheticClipOptions options;
  options.rotation_degrees = degrees;
  options.width = 160;
  options.height = 96;
  options.frames = 3;
  auto decoder = Decoder::Open(MakeClip("rot" + std::to_string(degrees) + ".mp4", options));
  ASSERT_TRUE(decoder.ok()) << decoder.status();
  const VideoInfo& info = (*decoder)->info();
  EXPECT_EQ(info.rotation_degrees, degrees);
  const bool swapped = degrees == 90 || degrees == 270;
  EXPECT_EQ(info.width, swapped ? 96 : 160);
  EXPECT_EQ(info.height, swapped ? 160 : 96);
  const auto frames = DecodeAll(**decoder);
  ASSERT_EQ(frames.size(), 3u);
  const Frame& f = frames[0];
  EXPECT_EQ(f.width, info.width);
  EXPECT_EQ(f.height, info.height);
  // The red marker (top-left of the coded frame) after a clockwise rotation.
  int x = 2, y = 2;
  if (degrees == 90) x = f.width - 3;
  if (degrees == 180) x = f.width - 3, y = f.height - 3;
  if (degrees == 270) y = f.height - 3;
  EXPECT_GT(f.pixel(x, y)[0], 200) << "marker not at " << x << "," << y;
  EXPECT_LT(f.pixel(x, y)[1], 60);
  // Undoing the rotation gives back the frame number.
  if (degrees != 0) {
    Frame unrotated;
    RotateRgb(f.rgb.data(), f.width, f.height, 360 - degrees, &unrotated.rgb, &unrotated.width,
              &unrotated.height);
    EXPECT_EQ(testing::ReadFrameNumber(unrotated), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Degrees, RotationTest, ::testing::Values(0, 90, 180, 270));

TEST(RotateRgbTest, ExactPixelPositions) {
  // 3x2 image, pixel value = 10 * (y * 3 + x).
  std::vector<uint8_t> rgb(3 * 2 * 3);
  for (int i = 0; i < 6; ++i) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = 10 * i;
  std::vector<uint8_t> out;
  int w, h;
  RotateRgb(rgb.data(), 3, 2, 90, &out, &w, &h);
  ASSERT_EQ(w, 2);
  ASSERT_EQ(h, 3);
  // Clockwise: the bottom-left pixel (value 30) becomes the top-left.
  EXPECT_EQ(out[0], 30);
  EXPECT_EQ(out[3], 0);
  EXPECT_EQ(out[(2 * 2 + 1) * 3], 20);
  RotateRgb(rgb.data(), 3, 2, 180, &out, &w, &h);
  EXPECT_EQ(out[0], 50);
  RotateRgb(rgb.data(), 3, 2, 270, &out, &w, &h);
  EXPECT_EQ(out[0], 20);
}

TEST(DecoderTest, VariableFrameRateTimestamps) {
  SyntheticClipOptions options;
  options.variable_frame_rate = true;
  options.frames = 30;
  options.fps = 30;
  options.gop_size = 5;
  for (const std::string ext : {"mp4", "mkv"}) {
    SCOPED_TRACE(ext);
    auto decoder = Decoder::Open(MakeClip("vfr." + ext, options));
    ASSERT_TRUE(decoder.ok()) << decoder.status();
    const auto frames = DecodeAll(**decoder);
    ASSERT_EQ(frames.size(), 30u);
    for (int i = 0; i < 30; ++i) {
      const double expected = i <= 15 ? i / 30.0 : (15 + 2.0 * (i - 15)) / 30.0;
      EXPECT_NEAR(frames[i].timestamp_seconds, expected, 0.002) << "frame " << i;
      EXPECT_EQ(testing::ReadFrameNumber(frames[i]), i);
    }
    EXPECT_TRUE((*decoder)->info().variable_frame_rate);
  }
}

TEST(DecoderTest, DecodeAtSeeksForwardAndBack) {
  SyntheticClipOptions options;
  options.frames = 100;
  options.fps = 25;
  options.gop_size = 12;
  auto decoder = Decoder::Open(MakeClip("seek.mp4", options));
  ASSERT_TRUE(decoder.ok()) << decoder.status();
  for (const auto& [t, expected] : std::vector<std::pair<double, int>>{
           {2.0, 50}, {0.5, 13}, {1.01, 26}, {3.96, 99}, {0, 0}, {1.02, 26}, {1.2, 30}}) {
    auto frame = (*decoder)->DecodeAt(t);
    ASSERT_TRUE(frame.ok()) << frame.status();
    ASSERT_TRUE(frame->has_value()) << t;
    EXPECT_EQ(testing::ReadFrameNumber(**frame), expected) << "at " << t;
    EXPECT_EQ((*frame)->index, expected) << "at " << t;
    EXPECT_NEAR((*frame)->timestamp_seconds, expected / 25.0, 1e-6);
  }
  // Next() continues after the last frame.
  auto next = (*decoder)->Next();
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_EQ(testing::ReadFrameNumber(**next), 31);
  EXPECT_EQ((*next)->index, 31);
  auto past_end = (*decoder)->DecodeAt(10);
  ASSERT_TRUE(past_end.ok());
  EXPECT_FALSE(past_end->has_value());
  const auto not_finite = (*decoder)->DecodeAt(NAN);
  EXPECT_EQ(not_finite.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(not_finite.status().message(), TestTempPath("seek.mp4") + ": seek time is not finite");
}

TEST(DecoderTest, OpenMemoryDecodesLikeAFile) {
  const std::string path = "video/testdata/retalking_face5_2s.mp4";
  auto from_file = Decoder::Open(path);
  auto from_memory = Decoder::OpenMemory("upload.mp4", ReadFile(path));
  ASSERT_TRUE(from_file.ok() && from_memory.ok()) << from_memory.status();
  EXPECT_EQ((*from_memory)->info().path, "upload.mp4");
  EXPECT_TRUE((*from_memory)->info().seekable);
  const auto a = DecodeAll(**from_file), b = DecodeAll(**from_memory);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(a.back().rgb, b.back().rgb);
  auto seek = (*from_memory)->DecodeAt(1.0);
  ASSERT_TRUE(seek.ok() && seek->has_value());
  EXPECT_NEAR((*seek)->timestamp_seconds, 1.0, 1e-6);
  EXPECT_EQ((*seek)->rgb, a[25].rgb);
}

TEST(DecoderErrorsTest, MissingFile) {
  auto d = Decoder::Open("/nonexistent/clip.mp4");
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(d.status().message(), "/nonexistent/clip.mp4: no such file");
}

TEST(DecoderErrorsTest, EmptyFile) {
  const std::string path = TestTempPath("empty.mp4");
  WriteFile(path, "");
  auto d = Decoder::Open(path);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(d.status().message(), path + ": file is empty");
  EXPECT_THAT(Decoder::OpenMemory("x.mp4", "").status().message(),
              HasSubstr("x.mp4: file is empty"));
}

TEST(DecoderErrorsTest, NotAVideo) {
  const std::string path = TestTempPath("notes.mp4");
  WriteFile(path, std::string(5000, 'x') + "this is a text file, not a video\n");
  auto d = Decoder::Open(path);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(d.status().message(), HasSubstr(path + ": not a video format FFmpeg can read"));
  auto dir = Decoder::Open(TestTempPath(""));
  EXPECT_THAT(dir.status().message(), HasSubstr("is a directory"));
}

TEST(DecoderErrorsTest, AudioOnlyFileHasNoVideoStream) {
  // A minimal WAV file: 0.1 s of 8 kHz mono silence.
  std::string wav = "RIFF";
  auto u32 = [](uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [](uint16_t v) { return std::string(reinterpret_cast<const char*>(&v), 2); };
  const uint32_t samples = 800;
  wav += u32(36 + samples * 2) + "WAVEfmt " + u32(16) + u16(1) + u16(1) + u32(8000) + u32(16000) +
         u16(2) + u16(16) + "data" + u32(samples * 2) + std::string(samples * 2, '\0');
  const std::string path = TestTempPath("audio.wav");
  WriteFile(path, wav);
  auto d = Decoder::Open(path);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(d.status().message(), HasSubstr(path + ": no video stream"));
}

TEST(DecoderErrorsTest, HugeResolutionRefusedBeforeDecoding) {
  // A YUV4MPEG2 header that claims 16000x9000 frames (and has none).
  const std::string path = TestTempPath("huge.y4m");
  WriteFile(path, "YUV4MPEG2 W16000 H9000 F25:1 Ip A1:1 C420jpeg\n");
  auto d = Decoder::Open(path);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(d.status().message(),
              HasSubstr(path + ": resolution 16000x9000 exceeds the limit of 7680x4320"));
  // The limit is configurable; portrait videos within it pass either way round.
  OpenOptions small;
  small.max_width = 128;
  small.max_height = 96;
  SyntheticClipOptions options;
  options.frames = 2;
  const std::string clip = MakeClip("limit.mp4", options);
  EXPECT_THAT(Decoder::Open(clip, small).status().message(),
              HasSubstr("resolution 160x120 exceeds the limit of 128x96"));
  small.max_width = 120;
  small.max_height = 160;
  EXPECT_TRUE(Decoder::Open(clip, small).ok());
}

TEST(DecoderErrorsTest, OneFrameVideo) {
  SyntheticClipOptions options;
  options.frames = 1;
  auto d = Decoder::Open(MakeClip("one.mp4", options));
  ASSERT_TRUE(d.ok()) << d.status();
  auto first = (*d)->Next();
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ(testing::ReadFrameNumber(**first), 0);
  for (int i = 0; i < 3; ++i) {  // the end stays the end
    auto next = (*d)->Next();
    ASSERT_TRUE(next.ok());
    EXPECT_FALSE(next->has_value());
  }
}

TEST(DecoderErrorsTest, TruncatedMkvDecodesWhatIsThereAndReportsIt) {
  SyntheticClipOptions options;
  options.frames = 60;
  options.gop_size = 10;
  const std::string full = ReadFile(MakeClip("full.mkv", options));
  const std::string path = TestTempPath("truncated.mkv");
  WriteFile(path, full.substr(0, full.size() * 6 / 10));
  auto d = Decoder::Open(path);
  ASSERT_TRUE(d.ok()) << d.status();
  const auto frames = DecodeAll(**d);
  EXPECT_GT(frames.size(), 15u);
  EXPECT_LT(frames.size(), 60u);
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(testing::ReadFrameNumber(frames[i]), static_cast<int>(i));
  }
  const DecodeReport& report = (*d)->report();
  ASSERT_FALSE(report.warnings.empty()) << "truncation not reported";
  EXPECT_THAT(report.warnings.front(), HasSubstr(path + ": "));
}

TEST(DecoderErrorsTest, TruncatedMp4WithoutIndexIsAClearError) {
  SyntheticClipOptions options;
  options.frames = 30;
  const std::string full = ReadFile(MakeClip("full.mp4", options));
  const std::string path = TestTempPath("truncated.mp4");
  WriteFile(path, full.substr(0, full.size() / 2));  // the index (moov) is at the end
  auto d = Decoder::Open(path);
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr(path + ": "));
}

TEST(DecoderErrorsTest, FlippedBytesAreSkippedAndReported) {
  SyntheticClipOptions options;
  options.frames = 60;
  options.gop_size = 10;
  const std::string clean = ReadFile(MakeClip("clean.mkv", options));
  std::mt19937 rng(7);
  int reported = 0;
  for (int trial = 0; trial < 8; ++trial) {
    std::string damaged = clean;
    // Flip bytes in the middle third (past the header, so the file still opens).
    for (int i = 0; i < 40; ++i) {
      const size_t at = damaged.size() / 3 + rng() % (damaged.size() / 3);
      damaged[at] = static_cast<char>(damaged[at] ^ (1 + rng() % 255));
    }
    const std::string path = TestTempPath("flipped" + std::to_string(trial) + ".mkv");
    WriteFile(path, damaged);
    auto d = Decoder::Open(path);
    ASSERT_TRUE(d.ok()) << d.status();
    int frames = 0;
    for (;;) {
      auto next = (*d)->Next();
      if (!next.ok()) {
        EXPECT_THAT(next.status().message(), HasSubstr(path));
        break;
      }
      if (!next->has_value()) break;
      ++frames;
    }
    EXPECT_GT(frames, 0);
    if (!(*d)->report().warnings.empty()) ++reported;
  }
  EXPECT_GT(reported, 0) << "no damage reported in any of 8 damaged copies";
}

TEST(DecoderErrorsTest, RandomBytesNeitherHangNorCrash) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 20; ++trial) {
    std::string bytes(1000 + rng() % 20000, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    auto d = Decoder::OpenMemory("random.bin", bytes);
    if (!d.ok()) {
      EXPECT_THAT(d.status().message(), HasSubstr("random.bin: "));
      continue;
    }
    for (int i = 0; i < 10000; ++i) {
      auto next = (*d)->Next();
      if (!next.ok() || !next->has_value()) break;
    }
  }
}

TEST(DecoderErrorsTest, UnknownInputFormat) {
  OpenOptions options;
  options.input_format = "no_such_format";
  EXPECT_THAT(Decoder::Open("/dev/video0", options).status().message(),
              HasSubstr("/dev/video0: unknown input format 'no_such_format'"));
}

TEST(DecoderErrorsTest, MissingWebcamIsAnError) {
  OpenOptions options;
  options.input_format = "v4l2";
  auto d = Decoder::Open("/dev/video_does_not_exist", options);
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("/dev/video_does_not_exist: cannot open"));
}

}  // namespace
}  // namespace video
