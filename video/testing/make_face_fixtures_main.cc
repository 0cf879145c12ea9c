// make_face_fixtures OUT_DIR: writes the hard-footage face fixtures of video/testdata
// (listed in its NOTICE), derived from the committed real clips, 2 s at 12.5 fps each
// (every other frame), H.264 CRF 30:
//   faces_dark.mp4        retalking_face5 at 480x480, brightness x0.12 + noise (a dark room)
//   faces_small_1080p.mp4 liveportrait_d3 shrunk to 200 px tall in a black 1920x1080 frame
//   faces_tiny_1080p.mp4  the same at 120 px tall (a face of ~65 px that the whole-frame CNN
//                         pass misses; found by the CNN on the picture area, enlarged)
//   faces_turned.mp4      retalking_face2 at 480x480, mirrored and rotated 30 degrees
//   faces_two_people.mp4  retalking_face2 and retalking_face5 side by side (720x360)
//   no_face_pattern.mp4   a moving colour-bar test pattern (like lavfi testsrc), 640x360
//   faces_two_people_shadow.mp4  faces_two_people with the right person's face in deep
//                         shadow (x0.15) in frames 8..16: HOG misses that face there while
//                         it finds the lit one (auto's lost-track search finds it)
//   bazel run //video/testing:make_face_fixtures -- video/testdata
// With --derive IN_DIR OUT_DIR: hard versions of every clip in IN_DIR (2 s, 12.5 fps), one
// folder per condition, for //video:real_faces_report (README "Hard footage"):
//   downscaled/ 240 px tall; dark/ brightness x0.12 + noise; turned/ mirrored, rotated 30
//   degrees; small/ shrunk to 120 px tall in a black 1920x1080 frame (faces of ~36-43 px);
//   tiny/ the same at 90 px tall (faces of ~27-32 px, at the tracker's 32 px minimum);
//   side_by_side/ the clip next to the next clip in IN_DIR (two people), each 360 px tall.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "base/video_files.h"
#include "video/cnn_face_detector.h"
#include "video/encoder.h"
#include "video/sampling.h"

namespace video {
namespace {

absl::StatusOr<std::vector<Frame>> EveryOtherFrame(const std::string& path) {
  SamplingOptions options;
  options.strategy = SamplingStrategy::kEveryKth;
  options.every_k = 2;
  options.num_frames = 25;
  return SampleFrames(path, options);
}

Frame Blank(int width, int height) {
  Frame frame;
  frame.width = width;
  frame.height = height;
  frame.rgb.assign(static_cast<size_t>(width) * height * 3, 0);
  return frame;
}

Frame Resized(const Frame& in, int width) {
  Frame out;
  int w = 0, h = 0;
  out.rgb = ResizedRgb(in, static_cast<double>(width) / in.width, &w, &h);
  out.width = w;
  out.height = h;
  return out;
}

void Paste(const Frame& src, int x0, int y0, Frame& dst) {
  for (int y = 0; y < src.height && y0 + y < dst.height; ++y) {
    for (int x = 0; x < src.width && x0 + x < dst.width; ++x) {
      std::copy_n(src.pixel(x, y), 3, dst.rgb.data() + ((size_t(y0 + y) * dst.width) + x0 + x) * 3);
    }
  }
}

// Brightness x `gain` plus sensor-like noise (uniform in +-`noise`, a fixed LCG sequence).
Frame Darkened(const Frame& in, double gain, int noise, uint32_t seed) {
  Frame out = in;
  uint32_t state = seed;
  for (uint8_t& v : out.rgb) {
    state = state * 1664525u + 1013904223u;
    const int n = static_cast<int>((state >> 16) % (2 * noise + 1)) - noise;
    v = static_cast<uint8_t>(std::clamp<long>(std::lround(v * gain) + n, 0, 255));
  }
  return out;
}

// Mirrored left-right, then rotated by `degrees` about the centre (bilinear, black outside).
Frame MirroredRotated(const Frame& in, double degrees) {
  Frame out = Blank(in.width, in.height);
  const double a = degrees * M_PI / 180, c = std::cos(a), s = std::sin(a);
  const double cx = 0.5 * (in.width - 1), cy = 0.5 * (in.height - 1);
  for (int y = 0; y < in.height; ++y) {
    for (int x = 0; x < in.width; ++x) {
      const double sx = c * (x - cx) + s * (y - cy) + cx, sy = -s * (x - cx) + c * (y - cy) + cy;
      const double mx = in.width - 1 - sx;  // mirror
      if (mx < 0 || sy < 0 || mx > in.width - 1 || sy > in.height - 1) continue;
      const int x0 = static_cast<int>(mx), y0 = static_cast<int>(sy);
      const int x1 = std::min(in.width - 1, x0 + 1), y1 = std::min(in.height - 1, y0 + 1);
      const double wx = mx - x0, wy = sy - y0;
      for (int k = 0; k < 3; ++k) {
        const double v = (1 - wy) * ((1 - wx) * in.pixel(x0, y0)[k] + wx * in.pixel(x1, y0)[k]) +
                         wy * ((1 - wx) * in.pixel(x0, y1)[k] + wx * in.pixel(x1, y1)[k]);
        out.rgb[(size_t(y) * in.width + x) * 3 + k] = static_cast<uint8_t>(std::lround(v));
      }
    }
  }
  return out;
}

// Colour bars over the top two thirds, a moving gradient and a moving white square below.
Frame TestPattern(int width, int height, int t) {
  static const uint8_t kBars[7][3] = {{192, 192, 192}, {192, 192, 0}, {0, 192, 192}, {0, 192, 0},
                                      {192, 0, 192},   {192, 0, 0},   {0, 0, 192}};
  Frame frame = Blank(width, height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* p = frame.rgb.data() + (size_t(y) * width + x) * 3;
      if (y < 2 * height / 3) {
        std::copy_n(kBars[std::min(6, 7 * x / width)], 3, p);
      } else {
        p[0] = static_cast<uint8_t>((x + 8 * t) % 256);
        p[1] = static_cast<uint8_t>(y % 256);
        p[2] = static_cast<uint8_t>((x + y + 4 * t) % 256);
      }
      const int sx = (20 + 12 * t) % (width - 40), sy = height / 3;
      if (x >= sx && x < sx + 40 && y >= sy && y < sy + 40) p[0] = p[1] = p[2] = 255;
    }
  }
  return frame;
}

absl::Status Write(const std::string& path, const std::vector<Frame>& frames) {
  EncoderOptions options;
  options.crf = 30;
  options.frame_rate = 12.5;
  options.gop_size = 25;
  absl::StatusOr<std::unique_ptr<Encoder>> encoder =
      Encoder::Open(path, frames.front().width, frames.front().height, options);
  if (!encoder.ok()) return encoder.status();
  for (const Frame& frame : frames) {
    if (absl::Status s = (*encoder)->Write(frame); !s.ok()) return s;
  }
  if (absl::Status s = (*encoder)->Close(); !s.ok()) return s;
  std::printf("%s: %zu frames of %dx%d, %ju bytes\n", path.c_str(), frames.size(),
              frames.front().width, frames.front().height,
              static_cast<uintmax_t>(std::filesystem::file_size(path)));
  return absl::OkStatus();
}

absl::Status Run(const std::string& out) {
  const std::string in = "video/testdata/";
  absl::StatusOr<std::vector<Frame>> face2 = EveryOtherFrame(in + "retalking_face2_2s.mp4");
  absl::StatusOr<std::vector<Frame>> face5 = EveryOtherFrame(in + "retalking_face5_2s.mp4");
  absl::StatusOr<std::vector<Frame>> d3 = EveryOtherFrame(in + "liveportrait_d3_2s.mp4");
  for (const auto* clip : {&face2, &face5, &d3}) {
    if (!clip->ok()) return clip->status();
  }
  const size_t n = std::min({face2->size(), face5->size(), d3->size()});
  std::vector<Frame> dark, small, tiny, turned, two, pattern, shadow;
  for (size_t i = 0; i < n; ++i) {
    dark.push_back(Darkened(Resized((*face5)[i], 480), 0.12, 4, static_cast<uint32_t>(i)));
    Frame big = Blank(1920, 1080);
    const Frame shrunk = Resized((*d3)[i], 200 * (*d3)[i].width / (*d3)[i].height);
    Paste(shrunk, 1500, 760, big);
    small.push_back(std::move(big));
    Frame tiny_frame = Blank(1920, 1080);
    Paste(Resized((*d3)[i], 120 * (*d3)[i].width / (*d3)[i].height / 2 * 2), 1500, 760, tiny_frame);
    tiny.push_back(std::move(tiny_frame));
    turned.push_back(MirroredRotated(Resized((*face2)[i], 480), 30));
    Frame pair = Blank(720, 360);
    Paste(Resized((*face2)[i], 360), 0, 0, pair);
    Paste(Resized((*face5)[i], 360), 360, 0, pair);
    Frame shaded = pair;
    if (i >= 8 && i < 17) {
      for (int y = 80; y < 260; ++y) {  // a shadow over the right person's face
        for (int x = 360 + 90; x < 360 + 270; ++x) {
          uint8_t* p = shaded.rgb.data() + (static_cast<size_t>(y) * shaded.width + x) * 3;
          for (int k = 0; k < 3; ++k) p[k] = static_cast<uint8_t>(p[k] * 0.15);
        }
      }
    }
    shadow.push_back(std::move(shaded));
    two.push_back(std::move(pair));
    pattern.push_back(TestPattern(640, 360, static_cast<int>(i)));
  }
  const std::vector<std::pair<std::string, const std::vector<Frame>*>> outputs = {
      {"faces_dark.mp4", &dark},         {"faces_small_1080p.mp4", &small},
      {"faces_tiny_1080p.mp4", &tiny},   {"faces_turned.mp4", &turned},
      {"faces_two_people.mp4", &two},
      {"no_face_pattern.mp4", &pattern}, {"faces_two_people_shadow.mp4", &shadow}};
  for (const auto& [name, frames] : outputs) {
    if (absl::Status s = Write((std::filesystem::path(out) / name).string(), *frames); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

// Pastes `src` into a black `width` x `height` frame at (x0, y0).
Frame Placed(const Frame& src, int width, int height, int x0, int y0) {
  Frame out = Blank(width, height);
  Paste(src, x0, y0, out);
  return out;
}

absl::Status Derive(const std::string& in_dir, const std::string& out_dir) {
  ASSIGN_OR_RETURN(const std::vector<std::string> clips, base::ListVideoFiles(in_dir));
  if (clips.empty()) return absl::NotFoundError(absl::StrCat(in_dir, ": no video clips"));
  std::vector<std::vector<Frame>> sources;
  for (const std::string& clip : clips) {
    ASSIGN_OR_RETURN(std::vector<Frame> frames, EveryOtherFrame(clip));
    if (frames.empty()) return absl::NotFoundError(absl::StrCat(clip, ": no frames"));
    sources.push_back(std::move(frames));
  }
  for (const char* condition : {"downscaled", "dark", "turned", "small", "tiny", "side_by_side"}) {
    std::filesystem::create_directories(std::filesystem::path(out_dir) / condition);
  }
  for (size_t c = 0; c < clips.size(); ++c) {
    const std::vector<Frame>& a = sources[c];
    const std::vector<Frame>& b = sources[(c + 1) % sources.size()];
    std::vector<Frame> downscaled, dark, turned, small, tiny, side;
    for (size_t i = 0; i < a.size(); ++i) {
      const Frame& f = a[i];
      downscaled.push_back(Resized(f, std::max(2, 240 * f.width / f.height / 2 * 2)));
      dark.push_back(Darkened(f, 0.12, 4, static_cast<uint32_t>(i)));
      turned.push_back(MirroredRotated(f, 30));
      small.push_back(Placed(Resized(f, 120 * f.width / f.height), 1920, 1080, 1400, 700));
      tiny.push_back(Placed(Resized(f, 90 * f.width / f.height), 1920, 1080, 1400, 700));
      const Frame left = Resized(f, 360 * f.width / f.height / 2 * 2);
      const Frame right =
          Resized(b[std::min(i, b.size() - 1)], 360 * b[0].width / b[0].height / 2 * 2);
      Frame pair = Placed(left, left.width + right.width, 360, 0, 0);
      Paste(right, left.width, 0, pair);
      side.push_back(std::move(pair));
    }
    const std::string name = std::filesystem::path(clips[c]).stem().string() + ".mp4";
    for (const auto& [condition, frames] :
         std::vector<std::pair<std::string, const std::vector<Frame>*>>{{"downscaled", &downscaled},
                                                                        {"dark", &dark},
                                                                        {"turned", &turned},
                                                                        {"small", &small},
                                                                        {"tiny", &tiny},
                                                                        {"side_by_side", &side}}) {
      RETURN_IF_ERROR(Write((std::filesystem::path(out_dir) / condition / name).string(), *frames));
    }
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace video

int main(int argc, char** argv) {
  const bool derive = argc == 4 && std::string(argv[1]) == "--derive";
  if (argc != 2 && !derive) {
    std::fprintf(stderr, "usage: %s OUT_DIR | %s --derive IN_DIR OUT_DIR\n", argv[0], argv[0]);
    return 2;
  }
  auto resolve = [](std::string path) {
    if (const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
        workspace != nullptr && std::filesystem::path(path).is_relative()) {
      path = (std::filesystem::path(workspace) / path).string();
    }
    return path;
  };
  const std::string out = resolve(argv[argc - 1]);
  if (absl::Status s = derive ? video::Derive(resolve(argv[2]), out) : video::Run(out); !s.ok()) {
    std::fprintf(stderr, "make_face_fixtures: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
