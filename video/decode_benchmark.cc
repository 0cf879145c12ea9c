// Benchmark: 16 evenly spaced RGB frames from a generated 10 s 1080p H.264 clip (25 fps,
// 250 frames), by seeking and by sequential decoding, for a short and a long keyframe
// interval; 16 of a 2-minute 720p clip, exact or snapped to keyframes; plus decoding every
// frame (the cost per frame behind all of them). Reports ms per video and the frames the
// codec decoded.
//   bazel run -c opt //video:decode_benchmark
#include <cstdio>
#include <cstdlib>
#include <string>

#include "benchmark/benchmark.h"
#include "video/decoder.h"
#include "video/sampling.h"
#include "video/testing/synthetic_clips.h"

namespace video {
namespace {

// Encodes `options` into TEST_TMPDIR (or /tmp)/name once per process; aborts on failure.
std::string WriteClip(const std::string& name, const testing::SyntheticClipOptions& options) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir ? dir : "/tmp") + "/" + name;
  const absl::Status status = testing::WriteSyntheticClip(path, options);
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    std::abort();
  }
  return path;
}

const std::string& Clip(int gop) {
  static std::string paths[2];
  std::string& path = paths[gop == 250];
  if (path.empty()) {
    testing::SyntheticClipOptions options;
    options.width = 1920;
    options.height = 1080;
    options.frames = 250;
    options.fps = 25;
    options.gop_size = gop;
    path = WriteClip("decode_benchmark_1080p_gop" + std::to_string(gop) + ".mp4", options);
  }
  return path;
}

// A 2-minute 1280x720 H.264 clip (25 fps, a keyframe every 2 s).
const std::string& LongClip() {
  static const std::string path = [] {
    testing::SyntheticClipOptions options;
    options.width = 1280;
    options.height = 720;
    options.frames = 3000;
    options.fps = 25;
    options.gop_size = 50;
    options.encoder_options = {{"preset", "ultrafast"}};
    return WriteClip("decode_benchmark_720p_2min.mp4", options);
  }();
  return path;
}

// 16 frames of `path` per iteration; reports the frames the codec decoded.
void SampleSixteen(benchmark::State& state, const std::string& path, const SamplingOptions& options,
                   const std::string& label) {
  int64_t decoded = 0;
  for (auto _ : state) {
    DecodeReport report;
    auto frames = SampleFrames(path, options, &report);
    if (!frames.ok() || frames->size() != 16) state.SkipWithError("sampling failed");
    decoded = report.frames_decoded;
  }
  state.counters["frames_decoded"] = static_cast<double>(decoded);
  state.SetLabel(label);
}

// Args: gop, seek (1) or sequential (0).
void BM_SixteenEvenlySpaced(benchmark::State& state) {
  SamplingOptions options;
  options.seek_policy = state.range(1) ? SeekPolicy::kAlwaysSeek : SeekPolicy::kNeverSeek;
  SampleSixteen(state, Clip(static_cast<int>(state.range(0))), options,
                state.range(1) ? "seek" : "sequential");
}
BENCHMARK(BM_SixteenEvenlySpaced)
    ->ArgsProduct({{25, 250}, {1, 0}})
    ->ArgNames({"gop", "seek"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// 16 of the 2-minute clip, exact (0) or snapped to the keyframe before each target (1).
void BM_SixteenOfTwoMinutes(benchmark::State& state) {
  SamplingOptions options;
  options.snap_to_keyframes = state.range(0) != 0;
  SampleSixteen(state, LongClip(), options, state.range(0) ? "snap to keyframes" : "exact");
}
BENCHMARK(BM_SixteenOfTwoMinutes)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_DecodeEveryFrame(benchmark::State& state) {
  const std::string& path = Clip(25);
  int64_t frames = 0;
  for (auto _ : state) {
    auto decoder = Decoder::Open(path);
    if (!decoder.ok()) state.SkipWithError("open failed");
    frames = 0;
    for (;;) {
      auto next = (*decoder)->Next();
      if (!next.ok() || !next->has_value()) break;
      ++frames;
    }
  }
  state.counters["frames"] = static_cast<double>(frames);
  state.counters["sec_per_frame"] = benchmark::Counter(
      static_cast<double>(frames),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_DecodeEveryFrame)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same frames decoded but not converted to RGB: the codec's share of the time.
void BM_DecodeEveryFrameWithoutRgb(benchmark::State& state) {
  const std::string& path = Clip(25);
  int64_t frames = 0;
  for (auto _ : state) {
    auto decoder = Decoder::Open(path);
    if (!decoder.ok()) state.SkipWithError("open failed");
    auto none = (*decoder)->NextWanted([](int64_t, double) { return false; }, 1 << 20);
    if (!none.ok()) state.SkipWithError("decode failed");
    frames = (*decoder)->report().frames_decoded;
  }
  state.counters["frames"] = static_cast<double>(frames);
  state.counters["sec_per_frame"] = benchmark::Counter(
      static_cast<double>(frames),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_DecodeEveryFrameWithoutRgb)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace video
