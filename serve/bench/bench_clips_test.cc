// MakeBenchClips on a committed 2 s clip: a 3 s output has 3 s of frames at the source's
// rate (the source ping-ponged past its end), a 1 s output is its first second, and an
// existing output is kept as it is.
#include "serve/bench/bench_clips.h"

#include <filesystem>

#include "base/testing/test_paths.h"
#include "gtest/gtest.h"
#include "video/decoder.h"

namespace serve::bench {
namespace {

constexpr char kClip[] = "video/testdata/retalking_face2_2s.mp4";

int64_t CountFrames(const std::string& path) {
  auto decoder = video::Decoder::Open(path);
  EXPECT_TRUE(decoder.ok()) << decoder.status();
  int64_t n = 0;
  while (true) {
    auto frame = (*decoder)->Next();
    EXPECT_TRUE(frame.ok()) << frame.status();
    if (!frame.ok() || !frame->has_value()) break;
    ++n;
  }
  return n;
}

TEST(BenchClipsTest, PingPongsShortSourcesAndCutsLongOnes) {
  auto source = video::Decoder::Open(kClip);
  ASSERT_TRUE(source.ok()) << source.status();
  const double fps = (*source)->info().frame_rate;
  const std::string dir = base::testing::TestTempDir("clips");
  for (double seconds : {3.0, 1.0}) {
    ClipSpec spec;
    spec.seconds = seconds;
    auto clips = MakeBenchClips({kClip}, dir, spec);
    ASSERT_TRUE(clips.ok()) << clips.status();
    ASSERT_EQ(clips->size(), 1u);
    EXPECT_EQ(CountFrames(clips->front()), std::llround(seconds * std::round(fps))) << seconds;
  }
}

TEST(BenchClipsTest, KeepsExistingOutputAndNamesBadSources) {
  const std::string dir = base::testing::TestTempDir("keep");
  ClipSpec spec;
  spec.seconds = 1;
  auto first = MakeBenchClips({kClip}, dir, spec);
  ASSERT_TRUE(first.ok()) << first.status();
  const auto written = std::filesystem::last_write_time(first->front());
  auto second = MakeBenchClips({kClip}, dir, spec);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(std::filesystem::last_write_time(second->front()), written);

  auto missing = MakeBenchClips({dir + "/missing.mp4"}, dir, spec);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing.mp4"), std::string::npos)
      << missing.status();
}

}  // namespace
}  // namespace serve::bench
