// face_track_sheets: for each video in a folder, the face tracks as a contact sheet PNG, to
// judge by eye whether a track holds one person: one row per track, one column per sampled
// frame (under a first row of the sampled frames), each cell the track's aligned crop with a border
// saying where it came from (green: HOG, blue: the CNN on the whole frame, orange: the CNN around
// the lost track's predicted box, grey: no detection, filled from the track's neighbours). Prints
// one line per track.
//   bazel run //tools:face_track_sheets -- --dir=DIR --out_dir=/tmp/sheets [--face_detector=auto]
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "base/atomic_file.h"
#include "base/video_files.h"
#include "eval/plot/png.h"
#include "nn/models/presets.h"
#include "video/cnn_face_detector.h"
#include "video/preprocess.h"
#include "video/sampling.h"

ABSL_FLAG(std::string, dir, "", "folder of clips (searched recursively)");
ABSL_FLAG(std::string, out_dir, "/tmp/face_track_sheets", "where the PNGs go");
ABSL_FLAG(std::string, face_detector, "auto", "hog, cnn or auto");
ABSL_FLAG(std::string, landmark_model, "", "shape_predictor_68_face_landmarks.dat path");
ABSL_FLAG(int, cell, 72, "cell side in pixels");

namespace {

std::string Resolve(const std::string& path) {
  const char* workspace = std::getenv("BUILD_WORKING_DIRECTORY");
  if (workspace == nullptr || std::filesystem::path(path).is_relative() == false) return path;
  return (std::filesystem::path(workspace) / path).string();
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string dir = Resolve(absl::GetFlag(FLAGS_dir));
  const std::string out_dir = Resolve(absl::GetFlag(FLAGS_out_dir));
  const int cell = absl::GetFlag(FLAGS_cell);
  std::filesystem::create_directories(out_dir);
  nn::ModelPreset preset = nn::GetPreset("default").value();
  video::PreprocessOptions options = video::PreprocessOptionsForPreset(preset);
  options.landmark_model_path = absl::GetFlag(FLAGS_landmark_model);
  absl::StatusOr<video::FaceDetectorKind> kind =
      video::ParseFaceDetectorKind(absl::GetFlag(FLAGS_face_detector));
  if (!kind.ok()) {
    std::fprintf(stderr, "%s\n", std::string(kind.status().message()).c_str());
    return 2;
  }
  options.detector.kind = *kind;
  absl::StatusOr<std::vector<std::string>> clips = base::ListVideoFiles(dir);
  if (!clips.ok()) {
    std::fprintf(stderr, "%s\n", std::string(clips.status().message()).c_str());
    return 2;
  }
  for (const std::string& clip : *clips) {
    absl::StatusOr<video::PreprocessedVideo> v =
        video::PreprocessVideo(clip, preset.preprocessing, options);
    std::string name = std::filesystem::relative(clip, dir).string();
    for (char& c : name) c = c == '/' ? '_' : c;
    if (!v.ok()) {
      std::printf("%s: %s\n", name.c_str(), std::string(v.status().message()).c_str());
      continue;
    }
    const int frames = static_cast<int>(v->frames.size());
    const int pad = 4, step = cell + 2 * pad;
    const int rows = static_cast<int>(v->tracks.size()) + 1;  // the frames, then the tracks
    const int width = frames * step, height = rows * step;
    std::vector<uint8_t> sheet(static_cast<size_t>(width) * height * 3, 255);
    video::SamplingOptions sampling = options.sampling;
    sampling.num_frames = preset.preprocessing.frames;
    if (absl::StatusOr<std::vector<video::Frame>> decoded = video::SampleFrames(clip, sampling);
        decoded.ok()) {
      for (int f = 0; f < std::min<int>(frames, decoded->size()); ++f) {
        const video::Frame& frame = (*decoded)[f];
        int w = 0, h = 0;
        const std::vector<uint8_t> small = video::ResizedRgb(
            frame, static_cast<double>(step - 2) / std::max(frame.width, frame.height), &w, &h);
        for (int y = 0; y < h; ++y) {
          std::copy_n(small.data() + static_cast<size_t>(y) * w * 3, w * 3,
                      sheet.data() + (static_cast<size_t>(y + 1) * width + f * step + 1) * 3);
        }
      }
    }
    for (int t = 0; t < static_cast<int>(v->tracks.size()); ++t) {
      const video::PreprocessedTrack& track = v->tracks[t];
      std::string sources;
      for (int f = 0; f < frames; ++f) {
        const video::TrackedFace& face = track.track.faces[f];
        uint8_t border[3] = {150, 150, 150};
        char letter = '.';
        if (!face.filled && face.detector == video::FaceDetectorKind::kHog) {
          border[0] = 40, border[1] = 180, border[2] = 40, letter = 'h';
        } else if (!face.filled && face.from_roi) {
          border[0] = 240, border[1] = 140, border[2] = 0, letter = 'r';
        } else if (!face.filled) {
          border[0] = 40, border[1] = 80, border[2] = 230, letter = 'c';
        }
        sources += letter;
        video::Frame crop;
        crop.width = crop.height = preset.preprocessing.image_size;
        crop.rgb = video::TensorFrameToRgb(track.faces, f, preset.preprocessing);
        int w = 0, h = 0;
        const std::vector<uint8_t> small =
            video::ResizedRgb(crop, static_cast<double>(cell) / crop.width, &w, &h);
        const int x0 = f * step, y0 = (t + 1) * step;
        for (int y = 0; y < step; ++y) {
          for (int x = 0; x < step; ++x) {
            uint8_t* p = sheet.data() + (static_cast<size_t>(y0 + y) * width + x0 + x) * 3;
            const int cx = x - pad, cy = y - pad;
            if (cx >= 0 && cy >= 0 && cx < w && cy < h) {
              const uint8_t* s = small.data() + (static_cast<size_t>(cy) * w + cx) * 3;
              const int dim = face.filled ? 2 : 1;
              for (int k = 0; k < 3; ++k) p[k] = static_cast<uint8_t>(s[k] / dim);
            } else {
              std::copy_n(border, 3, p);
            }
          }
        }
      }
      std::printf("%s: track %d: %d detections, median face %.0f px, %s\n", name.c_str(), t,
                  track.track.num_detections, track.track.median_face_size, sources.c_str());
    }
    std::printf("%s: %zu tracks, %d relinked, %d too brief, %d faces too small\n", name.c_str(),
                v->tracks.size(), v->tracking.tracks_relinked, v->tracking.tracks_too_brief,
                v->tracking.faces_too_small);
    const std::string png = (std::filesystem::path(out_dir) / (name + ".png")).string();
    if (absl::Status s =
            base::WriteFileAtomically(png, eval::plot::EncodePng(width, height, sheet));
        !s.ok()) {
      std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
      return 1;
    }
    std::fflush(stdout);
  }
  return 0;
}
