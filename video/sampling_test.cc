// Tests for SampleFrames: which frames each strategy picks, that seeking and sequential
// decoding agree, the decoded-frame cap, short videos and bad options.
#include "video/sampling.h"

#include <cmath>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "video/decoder_test_util.h"
#include "video/testing/synthetic_clips.h"

namespace video {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Clip(const std::string& name, int frames, int gop = 12) {
  testing::SyntheticClipOptions options;
  options.frames = frames;
  options.fps = 25;
  options.gop_size = gop;
  const std::string path = TestTempPath(name);
  EXPECT_TRUE(testing::WriteSyntheticClip(path, options).ok());
  return path;
}

std::vector<int> Numbers(const std::vector<Frame>& frames) {
  std::vector<int> numbers;
  for (const Frame& f : frames) numbers.push_back(testing::ReadFrameNumber(f));
  return numbers;
}

TEST(SamplingTest, EvenlySpacedSeekingAndSequentialPickTheSameFrames) {
  const std::string path = Clip("even.mp4", 200);
  SamplingOptions options;  // 16 evenly spaced
  std::vector<std::vector<int>> picks;
  for (SeekPolicy policy : {SeekPolicy::kAlwaysSeek, SeekPolicy::kNeverSeek, SeekPolicy::kAuto}) {
    options.seek_policy = policy;
    DecodeReport report;
    auto frames = SampleFrames(path, options, &report);
    ASSERT_TRUE(frames.ok()) << frames.status();
    ASSERT_EQ(frames->size(), 16u);
    for (const Frame& f : *frames) EXPECT_EQ(testing::ReadFrameNumber(f), f.index);
    picks.push_back(Numbers(*frames));
    if (policy == SeekPolicy::kAlwaysSeek) {
      EXPECT_LT(report.frames_decoded, 200) << "seeking decoded the whole video";
    }
    EXPECT_TRUE(report.warnings.empty()) << report.warnings.front();
  }
  // Targets i * 8 s / 16 = every 12.5 frames: the first frame at or after each.
  EXPECT_EQ(picks[0], (std::vector<int>{0, 13, 25, 38, 50, 63, 75, 88, 100, 113, 125, 138, 150, 163,
                                        175, 188}));
  EXPECT_EQ(picks[1], picks[0]);
  EXPECT_EQ(picks[2], picks[0]);
}

// An hour-long video (1000 frames, one every 3.6 s, a keyframe every 25): 16 evenly spaced
// frames by seeking decode at most a GOP per pick, not the whole hour, and frames found by
// seeking are numbered exactly (the pattern carries the true number).
TEST(SamplingTest, HourLongVideoIsSampledBySeeking) {
  testing::SyntheticClipOptions clip;
  clip.frames = 1000;
  clip.gop_size = 25;
  for (int i = 0; i < clip.frames; ++i) clip.timestamps.push_back(3.6 * i);
  clip.encoder_options = {{"preset", "ultrafast"}};
  const std::string path = TestTempPath("hour.mp4");
  ASSERT_TRUE(testing::WriteSyntheticClip(path, clip).ok());
  auto decoder = Decoder::Open(path);
  ASSERT_TRUE(decoder.ok()) << decoder.status();
  const double duration = (*decoder)->info().duration_seconds;
  EXPECT_NEAR(duration, 3600, 3.6);
  DecodeReport report;
  auto frames = SampleFrames(path, SamplingOptions{}, &report);
  ASSERT_TRUE(frames.ok()) << frames.status();
  ASSERT_EQ(frames->size(), 16u);
  for (int i = 0; i < 16; ++i) {
    // The first frame at or after i * duration / 16 (the container's duration: MP4 ends it
    // at the last frame's start when that frame's duration is unknown).
    const int expected = static_cast<int>(std::ceil(i * duration / 16 / 3.6 - 1e-6));
    EXPECT_EQ((*frames)[i].index, expected);
    EXPECT_EQ(testing::ReadFrameNumber((*frames)[i]), expected);
    EXPECT_NEAR((*frames)[i].timestamp_seconds, 3.6 * expected, 1e-3);
  }
  EXPECT_LE(report.frames_decoded, 16 * 25) << "seeking should decode at most a GOP per pick";
  EXPECT_TRUE(report.warnings.empty()) << report.warnings.front();

  // Snapped to keyframes: each pick is the keyframe at or before its target (a multiple of
  // 25 within a GOP of the exact pick), and far fewer frames are decoded.
  SamplingOptions snap;
  snap.snap_to_keyframes = true;
  DecodeReport snap_report;
  auto snapped = SampleFrames(path, snap, &snap_report);
  ASSERT_TRUE(snapped.ok()) << snapped.status();
  ASSERT_EQ(snapped->size(), 16u);
  for (int i = 0; i < 16; ++i) {
    const int64_t exact = (*frames)[i].index, got = (*snapped)[i].index;
    EXPECT_EQ(got % 25, 0) << "pick " << i;
    EXPECT_LE(got, exact) << "pick " << i;
    EXPECT_GE(got, exact - 25) << "pick " << i;  // the keyframe at or before the target
    EXPECT_EQ(testing::ReadFrameNumber((*snapped)[i]), got);
    if (i > 0) EXPECT_GT(got, (*snapped)[i - 1].index);  // distinct, in order
  }
  EXPECT_LT(snap_report.frames_decoded * 3, report.frames_decoded)
      << snap_report.frames_decoded << " vs " << report.frames_decoded;
}

TEST(SamplingTest, EvenlySpacedOnRealClip) {
  SamplingOptions options;
  options.num_frames = 8;
  options.seek_policy = SeekPolicy::kAlwaysSeek;
  auto seek = SampleFrames("video/testdata/retalking_face5_2s.mp4", options);
  options.seek_policy = SeekPolicy::kNeverSeek;
  auto sequential = SampleFrames("video/testdata/retalking_face5_2s.mp4", options);
  ASSERT_TRUE(seek.ok() && sequential.ok());
  ASSERT_EQ(seek->size(), 8u);
  ASSERT_EQ(sequential->size(), 8u);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ((*seek)[i].index, (*sequential)[i].index);
    EXPECT_EQ((*seek)[i].rgb, (*sequential)[i].rgb) << "frame " << i;
  }
}

// The streaming form hands each frame on as soon as it is decoded (before later frames are
// decoded) and delivers exactly what the vector form returns.
TEST(SamplingTest, StreamingDeliversEachFrameAsItIsDecoded) {
  const std::string path = Clip("stream.mp4", 200);
  for (SeekPolicy policy : {SeekPolicy::kAlwaysSeek, SeekPolicy::kNeverSeek}) {
    SamplingOptions options;
    options.seek_policy = policy;
    auto all = SampleFrames(path, options);
    ASSERT_TRUE(all.ok()) << all.status();
    auto decoder = Decoder::Open(path);
    ASSERT_TRUE(decoder.ok()) << decoder.status();
    std::vector<Frame> streamed;
    std::vector<int64_t> decoded_when_delivered;
    auto count = SampleFrames(**decoder, options, [&](Frame frame) {
      decoded_when_delivered.push_back((*decoder)->report().frames_decoded);
      streamed.push_back(std::move(frame));
    });
    ASSERT_TRUE(count.ok()) << count.status();
    EXPECT_EQ(*count, 16);
    EXPECT_EQ(Numbers(streamed), Numbers(*all));
    for (size_t i = 0; i < streamed.size(); ++i) EXPECT_EQ(streamed[i].rgb, (*all)[i].rgb);
    // Frame 0 arrived long before decoding ended (200 frames, the last one near the end).
    EXPECT_LT(decoded_when_delivered.front(), decoded_when_delivered.back() / 2);
  }
  // Errors are the same as the vector form's, and nothing is delivered.
  int delivered = 0;
  const std::string missing_path = TestTempPath("no_such_clip.mp4");
  auto missing = SampleFrames(missing_path, SamplingOptions{}, [&](Frame) { ++delivered; });
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), missing_path + ": no such file");
  EXPECT_EQ(delivered, 0);
}

TEST(SamplingTest, FirstConsecutive) {
  SamplingOptions options;
  options.strategy = SamplingStrategy::kFirstConsecutive;
  options.num_frames = 5;
  DecodeReport report;
  auto frames = SampleFrames(Clip("first.mp4", 50), options, &report);
  ASSERT_TRUE(frames.ok()) << frames.status();
  EXPECT_THAT(Numbers(*frames), ElementsAre(0, 1, 2, 3, 4));
  EXPECT_LT(report.frames_decoded, 50);
}

TEST(SamplingTest, EveryKth) {
  SamplingOptions options;
  options.strategy = SamplingStrategy::kEveryKth;
  options.every_k = 7;
  options.num_frames = 4;
  auto frames = SampleFrames(Clip("kth.mp4", 50), options);
  ASSERT_TRUE(frames.ok()) << frames.status();
  EXPECT_THAT(Numbers(*frames), ElementsAre(0, 7, 14, 21));
}

TEST(SamplingTest, FewerFramesThanRequestedReturnsAllOnce) {
  const std::string path = Clip("short.mp4", 5);
  for (auto strategy : {SamplingStrategy::kEvenlySpaced, SamplingStrategy::kFirstConsecutive,
                        SamplingStrategy::kEveryKth}) {
    for (SeekPolicy policy : {SeekPolicy::kAlwaysSeek, SeekPolicy::kNeverSeek}) {
      SamplingOptions options;
      options.strategy = strategy;
      options.seek_policy = policy;
      DecodeReport report;
      auto frames = SampleFrames(path, options, &report);
      ASSERT_TRUE(frames.ok()) << frames.status();
      EXPECT_THAT(Numbers(*frames), ElementsAre(0, 1, 2, 3, 4));
      ASSERT_FALSE(report.warnings.empty());
      EXPECT_THAT(report.warnings.back(), HasSubstr("returning 5 of 16 frames"));
    }
  }
}

TEST(SamplingTest, OneFrameVideo) {
  auto frames = SampleFrames(Clip("single.mp4", 1), SamplingOptions());
  ASSERT_TRUE(frames.ok()) << frames.status();
  EXPECT_THAT(Numbers(*frames), ElementsAre(0));
}

TEST(SamplingTest, CapOnDecodedFrames) {
  const std::string path = Clip("cap.mp4", 100);
  SamplingOptions options;
  options.strategy = SamplingStrategy::kFirstConsecutive;
  options.max_decoded_frames = 6;
  DecodeReport report;
  auto frames = SampleFrames(path, options, &report);
  ASSERT_TRUE(frames.ok());
  EXPECT_EQ(frames->size(), 6u);
  EXPECT_THAT(report.warnings.back(), HasSubstr("max_decoded_frames"));
  // Evenly spaced under a cap smaller than the video seeks instead of stopping early.
  options.strategy = SamplingStrategy::kEvenlySpaced;
  options.num_frames = 4;
  options.max_decoded_frames = 60;
  frames = SampleFrames(path, options, &report);
  ASSERT_TRUE(frames.ok());
  EXPECT_THAT(Numbers(*frames), ElementsAre(0, 25, 50, 75));
  EXPECT_LE(report.frames_decoded, 60 + 12);
}

TEST(SamplingTest, BadOptionsAndBadFiles) {
  SamplingOptions options;
  options.num_frames = 0;
  auto frames = SampleFrames("video/testdata/retalking_face5_2s.mp4", options);
  EXPECT_EQ(frames.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(frames.status().message(), HasSubstr("retalking_face5_2s.mp4: sampling needs"));
  EXPECT_EQ(SampleFrames("/missing.mp4", SamplingOptions()).status().message(),
            "/missing.mp4: no such file");
}

}  // namespace
}  // namespace video
