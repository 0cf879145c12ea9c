// The faces subcommand: PreprocessVideo (files, pipes, devices), then PNG crops
// (dlib::save_png) and faces.json.
#include "serve/faces_command.h"

#include <dlib/image_io.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "nn/models/presets.h"
#include "video/preprocess.h"
#include "video/preprocess_json.h"

ABSL_FLAG(std::string, video_path, "", "faces: the video to read");
ABSL_FLAG(std::string, out_dir, "", "faces: where to write the crops (PNG) and faces.json");
ABSL_FLAG(std::string, preset, "default",
          "faces: model preset whose preprocessing to apply (crop size, frames, crop mode)");
ABSL_FLAG(std::string, landmark_model, "",
          "path to shape_predictor_68_face_landmarks.dat (default: the libdlib-data install)");
ABSL_FLAG(int, frames, 0, "faces: frames to sample (0 = the preset's)");
ABSL_FLAG(double, margin, 0, "faces: aligned crop side / face box side (0 = the preset's)");
ABSL_FLAG(int, detect_max_side, 640,
          "faces: downscale frames to this longest side for face detection (0 = never)");
ABSL_FLAG(std::string, sampling, "",
          "faces: which frames: evenly (N evenly spaced), first (the first N), every (every "
          "--every_k-th from the start); \"\" = the preset's (jadhav2020: first, else evenly)");
ABSL_FLAG(int, every_k, 1, "faces: with --sampling=every, keep every k-th frame");
ABSL_FLAG(bool, keyframes, false,
          "faces: evenly spaced sampling takes the keyframe at or before each time: one decoded "
          "frame per sample, much faster on long or 4K videos, picks up to a keyframe interval "
          "early");
ABSL_FLAG(int, upsample, 0,
          "faces: upsample frames 2x this many times (0-3) before detection to find smaller "
          "faces (each 4x the detection cost)");
ABSL_FLAG(double, min_face_size, 40, "faces: ignore faces smaller than this (box side, px)");
ABSL_FLAG(std::string, input_format, "",
          "faces: FFmpeg input format or device (\"\" = probe): v4l2 for a webcam "
          "(--video_path /dev/video0), lavfi, mpegts, ...");
ABSL_FLAG(double, timeout_seconds, 30,
          "faces: give up on a live input (pipe, device, URL) that takes longer than this to "
          "open or to send more data (0 = wait forever; files never wait)");
ABSL_FLAG(int64_t, max_decoded_frames, 0,
          "faces: stop decoding after this many frames (0 = the default, 10000); what ends an "
          "endless live source");

namespace serve {
namespace {

absl::Status SavePng(const std::vector<uint8_t>& rgb, int size, const std::string& path) {
  dlib::array2d<dlib::rgb_pixel> image(size, size);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const uint8_t* p = rgb.data() + (static_cast<size_t>(y) * size + x) * 3;
      image[y][x] = dlib::rgb_pixel(p[0], p[1], p[2]);
    }
  }
  try {
    dlib::save_png(image, path);
  } catch (const std::exception& e) {
    return absl::PermissionDeniedError(absl::StrCat(path, ": cannot write PNG: ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RunFacesCommand(const FacesCommandOptions& options) {
  if (options.video_path.empty())
    return absl::InvalidArgumentError("faces: --video_path is required");
  if (options.out_dir.empty()) return absl::InvalidArgumentError("faces: --out_dir is required");
  if (options.timeout_seconds < 0 || options.max_decoded_frames < 0) {
    return absl::InvalidArgumentError(
        "faces: --timeout_seconds and --max_decoded_frames must be >= 0");
  }
  if (options.frames < 0 || options.margin < 0 || options.detect_max_side < 0 ||
      options.min_face_size < 0) {
    return absl::InvalidArgumentError(
        "faces: --frames, --margin, --detect_max_side and --min_face_size must be >= 0");
  }
  if (options.upsample < 0 || options.upsample > 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("faces: --upsample must be 0 to 3 (got ", options.upsample, ")"));
  }
  if (options.every_k < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("faces: --every_k must be >= 1 (got ", options.every_k, ")"));
  }
  absl::StatusOr<nn::ModelPreset> preset = nn::GetPreset(options.preset);
  if (!preset.ok()) return preset.status();
  nn::Preprocessing preprocessing = preset->preprocessing;
  if (options.frames > 0) preprocessing.frames = options.frames;
  video::PreprocessOptions preprocess = video::PreprocessOptionsForPreset(*preset);
  if (options.margin > 0) preprocess.margin = options.margin;
  preprocess.landmark_model_path = options.landmark_model;
  preprocess.detector.max_detection_side = options.detect_max_side;
  preprocess.detector.upsample = options.upsample;
  preprocess.tracker.min_face_size = options.min_face_size;
  preprocess.sampling.snap_to_keyframes = options.keyframes;
  if (options.sampling == "evenly") {
    preprocess.sampling.strategy = video::SamplingStrategy::kEvenlySpaced;
  } else if (options.sampling == "first") {
    preprocess.sampling.strategy = video::SamplingStrategy::kFirstConsecutive;
  } else if (options.sampling == "every") {
    preprocess.sampling.strategy = video::SamplingStrategy::kEveryKth;
    preprocess.sampling.every_k = options.every_k;
  } else if (!options.sampling.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "faces: --sampling must be evenly, first or every (got '", options.sampling, "')"));
  }
  preprocess.sampling.open_options.input_format = options.input_format;
  preprocess.sampling.open_options.open_timeout_seconds = options.timeout_seconds;
  preprocess.sampling.open_options.read_timeout_seconds = options.timeout_seconds;
  if (options.max_decoded_frames > 0) {
    preprocess.sampling.max_decoded_frames = options.max_decoded_frames;
  }

  absl::StatusOr<video::PreprocessedVideo> result =
      video::PreprocessVideo(options.video_path, preprocessing, preprocess);
  if (!result.ok()) return result.status();

  std::error_code error;
  std::filesystem::create_directories(options.out_dir, error);
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat(options.out_dir, ": cannot create directory: ", error.message()));
  }
  nlohmann::json json = video::PreprocessedVideoToJson(*result);
  json["preset"] = preset->name;
  const int size = preprocessing.image_size;
  for (size_t t = 0; t < result->tracks.size(); ++t) {
    const video::PreprocessedTrack& track = result->tracks[t];
    for (size_t i = 0; i < result->frames.size(); ++i) {
      const std::string name =
          absl::StrFormat("track%d_%02d_frame%06d.png", track.track.id, i, result->frames[i].index);
      absl::Status saved =
          SavePng(video::TensorFrameToRgb(track.faces, static_cast<int64_t>(i), preprocessing),
                  size, (std::filesystem::path(options.out_dir) / name).string());
      if (!saved.ok()) return saved;
      json["tracks"][t]["frames"][i]["crop"] = name;
    }
  }
  const std::string json_path = (std::filesystem::path(options.out_dir) / "faces.json").string();
  {
    std::ofstream out(json_path);
    out << json.dump(2) << "\n";
    if (!out) return absl::PermissionDeniedError(absl::StrCat(json_path, ": cannot write"));
  }

  const video::PreprocessedVideo& v = *result;
  std::printf("%s: %dx%d, %zu sampled frames, %zu face track(s), preset %s (%dx%d %s crops)\n",
              v.path.c_str(), v.width, v.height, v.frames.size(), v.tracks.size(),
              preset->name.c_str(), size, size, video::CropModeName(v.crop_mode));
  for (const video::PreprocessedTrack& track : v.tracks) {
    std::printf(
        "  track %d: face in %d of %zu frames (%zu filled), median face %.0f px, "
        "mean score %.2f\n",
        track.track.id, track.track.num_detections, v.frames.size(),
        v.frames.size() - track.track.num_detections, track.track.median_face_size,
        track.track.mean_score);
  }
  if (v.tracking.faces_too_small > 0 || v.tracking.tracks_too_brief > 0) {
    std::printf("  ignored: %d face(s) too small, %d track(s) too brief\n",
                v.tracking.faces_too_small, v.tracking.tracks_too_brief);
  }
  for (const std::string& warning : v.decode_report.warnings) {
    std::printf("  warning: %s\n", warning.c_str());
  }
  std::printf(
      "  time: %.0f ms (decode %.0f with face detection alongside, faces after decoding %.0f, "
      "crops %.0f; detector %.0f + landmarks %.0f ms of CPU)\n",
      v.times.total_ms, v.times.decode_ms, v.times.detect_ms, v.times.crop_ms,
      v.times.detector_cpu_ms, v.times.landmarks_cpu_ms);
  std::printf("wrote %s and %zu crops\n", json_path.c_str(), v.tracks.size() * v.frames.size());
  return absl::OkStatus();
}

int FacesMain() {
  FacesCommandOptions options;
  options.video_path = absl::GetFlag(FLAGS_video_path);
  options.out_dir = absl::GetFlag(FLAGS_out_dir);
  options.preset = absl::GetFlag(FLAGS_preset);
  options.landmark_model = absl::GetFlag(FLAGS_landmark_model);
  options.frames = absl::GetFlag(FLAGS_frames);
  options.margin = absl::GetFlag(FLAGS_margin);
  options.detect_max_side = absl::GetFlag(FLAGS_detect_max_side);
  options.sampling = absl::GetFlag(FLAGS_sampling);
  options.every_k = absl::GetFlag(FLAGS_every_k);
  options.keyframes = absl::GetFlag(FLAGS_keyframes);
  options.upsample = absl::GetFlag(FLAGS_upsample);
  options.min_face_size = absl::GetFlag(FLAGS_min_face_size);
  options.input_format = absl::GetFlag(FLAGS_input_format);
  options.timeout_seconds = absl::GetFlag(FLAGS_timeout_seconds);
  options.max_decoded_frames = absl::GetFlag(FLAGS_max_decoded_frames);
  if (options.video_path.empty() || options.out_dir.empty()) {
    std::fprintf(stderr,
                 "usage: deepfake faces --video_path VIDEO --out_dir DIR [--preset NAME] "
                 "[--input_format FORMAT]\n");
    return 2;
  }
  const absl::Status status = RunFacesCommand(options);
  if (!status.ok()) {
    std::fprintf(stderr, "deepfake faces: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}

}  // namespace serve
