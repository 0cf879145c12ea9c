// Writes a small seed corpus for the decoder fuzzer: a short clip in each container/codec
// this FFmpeg can encode. Usage: decoder_fuzzer_seeds OUT_DIR
#include <cstdio>
#include <string>

#include "video/testing/synthetic_clips.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  struct Seed {
    const char *codec, *file;
    int width, height;
  };
  const Seed seeds[] = {
      {"libx264", "a.mp4", 64, 48},     {"libx264", "b.mkv", 64, 48}, {"libx265", "c.mp4", 64, 48},
      {"libvpx-vp9", "d.webm", 64, 48}, {"mpeg4", "e.avi", 64, 48},   {"gif", "f.gif", 33, 21},
      {"h263", "g.3gp", 128, 96},       {"wmv2", "h.wmv", 64, 48},    {"flv", "i.flv", 64, 48},
      {"mjpeg", "j.avi", 32, 32},       {"libx264", "k.mov", 48, 64}};
  for (const Seed& s : seeds) {
    video::testing::SyntheticClipOptions options;
    options.codec = s.codec;
    options.width = s.width;
    options.height = s.height;
    options.frames = 6;
    options.gop_size = 3;
    if (std::string(s.file) == "k.mov") options.rotation_degrees = 90;
    const std::string path = std::string(argv[1]) + "/" + s.file;
    const absl::Status status = video::testing::WriteSyntheticClip(path, options);
    std::printf("%s: %s\n", path.c_str(), status.ToString().c_str());
  }
  return 0;
}
