#include "serve/bench/bench_clips.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "video/decoder.h"
#include "video/encoder.h"

namespace serve::bench {
namespace {

namespace fs = std::filesystem;

// Frame k of a ping-pong walk over n frames: 0 1 .. n-1 n-2 .. 1 0 1 ...
int PingPong(int64_t k, int n) {
  if (n == 1) return 0;
  const int64_t period = 2 * (n - 1);
  const int64_t r = k % period;
  return static_cast<int>(r < n ? r : period - r);
}

absl::Status MakeClip(const std::string& source, const std::string& out, const ClipSpec& spec) {
  auto decoder = video::Decoder::Open(source);
  if (!decoder.ok()) return decoder.status();
  const video::VideoInfo& info = (*decoder)->info();
  if (info.width % 2 != 0 || info.height % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": ", info.width, "x", info.height, " is odd; H.264 4:2:0 needs even"));
  }
  const double fps = info.frame_rate > 0 ? std::round(info.frame_rate) : 25;
  const int64_t wanted = std::llround(spec.seconds * fps);
  video::EncoderOptions options;
  options.crf = spec.crf;
  options.frame_rate = fps;
  const std::string partial = out + ".partial.mp4";
  auto encoder = video::Encoder::Open(partial, info.width, info.height, options);
  if (!encoder.ok()) return encoder.status();
  // Stream while the source lasts; keep the frames (for the ping-pong) only when it may
  // end early, so a long 720p source does not sit in memory.
  const bool may_end_early = info.estimated_frames <= 0 || info.estimated_frames < wanted + 5;
  std::vector<video::Frame> kept;
  int64_t written = 0;
  while (written < wanted) {
    absl::StatusOr<std::optional<video::Frame>> frame = (*decoder)->Next();
    if (!frame.ok()) return frame.status();
    if (!frame->has_value()) break;
    if (absl::Status s = (*encoder)->Write(**frame); !s.ok()) return s;
    ++written;
    if (may_end_early) kept.push_back(std::move(**frame));
  }
  if (written < wanted && kept.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": ", written, " frames, fewer than its container announced"));
  }
  const int n = static_cast<int>(kept.size());
  for (int64_t k = n - 1; written < wanted; ++written) {  // k: position in the ping-pong walk
    if (absl::Status s = (*encoder)->Write(kept[PingPong(++k, n)]); !s.ok()) return s;
  }
  if (absl::Status s = (*encoder)->Close(); !s.ok()) return s;
  std::error_code error;
  fs::rename(partial, out, error);
  if (error) return absl::InternalError(absl::StrCat(out, ": cannot rename: ", error.message()));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> MakeBenchClips(const std::vector<std::string>& sources,
                                                        const std::string& out_dir,
                                                        const ClipSpec& spec) {
  std::error_code error;
  fs::create_directories(out_dir, error);
  if (error) return absl::InternalError(absl::StrCat(out_dir, ": ", error.message()));
  std::vector<std::string> outputs;
  for (const std::string& source : sources) {
    const std::string out = absl::StrCat(out_dir, "/", fs::path(source).stem().string(), "_",
                                         std::lround(spec.seconds), "s.mp4");
    if (!fs::exists(out)) {
      std::fprintf(stderr, "  making %s\n", out.c_str());
      if (absl::Status s = MakeClip(source, out, spec); !s.ok()) return s;
    }
    outputs.push_back(out);
  }
  return outputs;
}

}  // namespace serve::bench
