// Benchmark inputs of a fixed duration cut from real clips: the first `seconds` of each
// source, re-encoded at its own frame rate and size (H.264, video/encoder.h); a source
// shorter than that is played forward, backward, forward... (ping-pong) until it fills the
// duration, so every input has the same length and natural motion.
#ifndef SERVE_BENCH_BENCH_CLIPS_H_
#define SERVE_BENCH_BENCH_CLIPS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace serve::bench {

struct ClipSpec {
  double seconds = 10;  // duration of every output clip
  int crf = 23;         // libx264 quality of the re-encoding
};

// Writes `out_dir`/<source stem>_<seconds>s.mp4 for each source (kept when it already
// exists: the inputs do not change between runs) and returns the output paths in source
// order. Errors name the source (unreadable, no frames, odd size) or the output.
absl::StatusOr<std::vector<std::string>> MakeBenchClips(const std::vector<std::string>& sources,
                                                        const std::string& out_dir,
                                                        const ClipSpec& spec);

}  // namespace serve::bench

#endif  // SERVE_BENCH_BENCH_CLIPS_H_
