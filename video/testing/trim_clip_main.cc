// trim_clip IN OUT SECONDS: copies the first SECONDS of IN's video stream to OUT (no
// re-encoding), for making small test clips from real footage.
#include <cstdio>
#include <cstdlib>

#include "video/testing/synthetic_clips.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s IN OUT SECONDS\n", argv[0]);
    return 2;
  }
  const absl::Status status = video::testing::TrimClip(argv[1], argv[2], std::atof(argv[3]));
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
