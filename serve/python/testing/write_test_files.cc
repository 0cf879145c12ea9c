// Files the Python module's tests (and tests/golden_detect_test) need and cannot make
// without PyTorch or FFmpeg's encoders:
//   write_test_files checkpoint PRESET OUT.safetensors [SEED=1] [THRESHOLD=0.5]
//       a native checkpoint of PRESET with seeded random weights
//       (serve/api/testing/test_model.h)
//   write_test_files pattern_clip OUT.mp4
//       a 1-second 320x240 H.264 test pattern: a real video with no face in it
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "serve/api/testing/test_model.h"
#include "video/testing/synthetic_clips.h"

namespace {

int Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s checkpoint PRESET OUT.safetensors [SEED] [THRESHOLD]\n"
               "       %s pattern_clip OUT.mp4\n",
               argv0, argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage(argv[0]);
  const std::string what = argv[1];
  absl::Status status;
  if (what == "checkpoint" && argc >= 4 && argc <= 6) {
    serve::testing::WriteRandomModel(argv[3], argv[2], argc > 4 ? std::atoi(argv[4]) : 1,
                                     argc > 5 ? std::strtod(argv[5], nullptr) : 0.5);
  } else if (what == "pattern_clip" && argc == 3) {
    video::testing::SyntheticClipOptions clip;
    clip.width = 320;
    clip.height = 240;
    status = video::testing::WriteSyntheticClip(argv[2], clip);
  } else {
    return Usage(argv[0]);
  }
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
