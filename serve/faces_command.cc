// The faces subcommand: PreprocessVideo (files, pipes, devices), then PNG crops
// (dlib::save_png) and faces.json.
#include "serve/faces_command.h"

#include <dlib/image_io.h>

#include <exception>
#include <filesystem>
#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "nn/models/presets.h"
#include "serve/cli/flags.h"
#include "video/preprocess.h"
#include "video/preprocess_json.h"

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

absl::Status CheckFacesOptions(const FacesCommandOptions& options) {
  if (options.video_path.empty()) {
    return absl::InvalidArgumentError("missing required flag --video_path");
  }
  if (options.out_dir.empty()) return absl::InvalidArgumentError("missing required flag --out_dir");
  if (options.timeout_seconds < 0 || options.max_decoded_frames < 0) {
    return absl::InvalidArgumentError("--timeout_seconds and --max_decoded_frames must be >= 0");
  }
  if (options.margin < 0 || options.detect_max_side < 0 || options.min_face_size < 0) {
    return absl::InvalidArgumentError(
        "--margin, --detect_max_side and --min_face_size must be >= 0");
  }
  if (options.upsample < 0 || options.upsample > 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("--upsample must be 0 to 3 (got ", options.upsample, ")"));
  }
  return absl::OkStatus();
}

absl::Status RunFacesCommand(const FacesCommandOptions& options,
                             const cli::CommonFlags::Applied& common, std::ostream& out) {
  if (absl::Status checked = CheckFacesOptions(options); !checked.ok()) return checked;
  const nn::ModelPreset* preset = &common.preset;
  const nn::Preprocessing& preprocessing = preset->preprocessing;
  video::PreprocessOptions preprocess = video::PreprocessOptionsForPreset(*preset);
  preprocess.sampling.every_k = common.every_k;
  preprocess.detector.kind = common.face_detector;
  if (options.margin > 0) preprocess.margin = options.margin;
  preprocess.landmark_model_path = options.landmark_model;
  preprocess.detector.max_detection_side = options.detect_max_side;
  preprocess.detector.upsample = options.upsample;
  preprocess.tracker.min_face_size = options.min_face_size;
  preprocess.sampling.snap_to_keyframes = options.keyframes;
  preprocess.sampling.open_options.input_format = options.input_format;
  preprocess.sampling.open_options.open_timeout_seconds = options.timeout_seconds;
  preprocess.sampling.open_options.read_timeout_seconds = options.timeout_seconds;
  if (options.max_decoded_frames > 0) {
    preprocess.sampling.max_decoded_frames = options.max_decoded_frames;
  }

  ASSIGN_OR_RETURN(video::PreprocessedVideo result,
                   video::PreprocessVideo(options.video_path, preprocessing, preprocess));

  std::error_code error;
  std::filesystem::create_directories(options.out_dir, error);
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat(options.out_dir, ": cannot create directory: ", error.message()));
  }
  nlohmann::json json = video::PreprocessedVideoToJson(result);
  json["preset"] = preset->name;
  const int size = preprocessing.image_size;
  for (size_t t = 0; t < result.tracks.size(); ++t) {
    const video::PreprocessedTrack& track = result.tracks[t];
    for (size_t i = 0; i < result.frames.size(); ++i) {
      const std::string name =
          absl::StrFormat("track%d_%02d_frame%06d.png", track.track.id, i, result.frames[i].index);
      RETURN_IF_ERROR(
          SavePng(video::TensorFrameToRgb(track.faces, static_cast<int64_t>(i), preprocessing),
                  size, (std::filesystem::path(options.out_dir) / name).string()));
      json["tracks"][t]["frames"][i]["crop"] = name;
    }
  }
  const std::string json_path = (std::filesystem::path(options.out_dir) / "faces.json").string();
  {
    std::ofstream file(json_path);
    file << json.dump(2) << "\n";
    if (!file) return absl::PermissionDeniedError(absl::StrCat(json_path, ": cannot write"));
  }

  const video::PreprocessedVideo& v = result;
  out << absl::StrFormat(
      "%s: %dx%d, %zu sampled frames, %zu face track(s), preset %s (%dx%d %s "
      "crops)\n",
      v.path, v.width, v.height, v.frames.size(), v.tracks.size(), preset->name, size, size,
      video::CropModeName(v.crop_mode));
  for (const video::PreprocessedTrack& track : v.tracks) {
    out << absl::StrFormat(
        "  track %d: face in %d of %zu frames (%zu filled), median face %.0f px, "
        "mean score %.2f\n",
        track.track.id, track.track.num_detections, v.frames.size(),
        v.frames.size() - track.track.num_detections, track.track.median_face_size,
        track.track.mean_score);
  }
  if (v.tracking.faces_too_small > 0 || v.tracking.tracks_too_brief > 0) {
    out << absl::StrFormat("  ignored: %d face(s) too small, %d track(s) too brief\n",
                           v.tracking.faces_too_small, v.tracking.tracks_too_brief);
  }
  for (const video::RejectedTrack& r : v.tracking.rejected_tracks) {
    out << absl::StrFormat("    %s: face in %d frame(s) (%d-%d), median %.0f px\n", r.reason,
                           r.num_detections, r.first_frame, r.last_frame, r.median_face_size);
  }
  if (v.tracking.faces_implausible > 0) {
    out << absl::StrFormat("  %d face(s) with implausible landmarks (turned heads?): box crops\n",
                           v.tracking.faces_implausible);
  }
  int cnn_frames = 0;
  double cnn_scale = 0;
  for (const video::SampledFrameInfo& f : v.frames) {
    if (f.detector != video::FaceDetectorKind::kCnn) continue;
    ++cnn_frames;
    cnn_scale = f.detection_scale;
  }
  out << absl::StrFormat("  detector: HOG in %zu frame(s), CNN in %d", v.frames.size() - cnn_frames,
                         cnn_frames);
  if (cnn_frames > 0) out << absl::StrFormat(" (at %.2fx)", cnn_scale);
  out << "\n";
  for (const std::string& warning : v.decode_report.warnings) {
    out << "  warning: " << warning << "\n";
  }
  out << absl::StrFormat(
      "  time: %.0f ms (decode %.0f with face detection alongside, faces after decoding %.0f, "
      "crops %.0f; detector %.0f + landmarks %.0f ms of CPU)\n",
      v.times.total_ms, v.times.decode_ms, v.times.detect_ms, v.times.crop_ms,
      v.times.detector_cpu_ms, v.times.landmarks_cpu_ms);
  out << absl::StrFormat("wrote %s and %zu crops\n", json_path, v.tracks.size() * v.frames.size());
  return absl::OkStatus();
}

namespace {

class FacesCommand : public cli::Command {
 public:
  std::string name() const override { return "faces"; }
  std::string summary() const override {
    return "find, track and crop a video's faces as the model sees them: PNGs + faces.json";
  }
  std::string usage() const override { return "--video_path=VIDEO --out_dir=DIR [flags]"; }

  void DefineFlags(cli::FlagSet& flags) override {
    flags
        .String("video_path", &options_.video_path,
                "the video: a file (relative to where you ran the command), a FIFO, pipe:0, or "
                "with --input_format a device (/dev/video0) or a lavfi graph")
        .Required();
    flags.Path("out_dir", &options_.out_dir, "where to write the crops (PNG) and faces.json")
        .Required();
    flags.Path("landmark_model", &options_.landmark_model,
               "shape_predictor_68_face_landmarks.dat (\"\" = the libdlib-data install)");
    flags.Double("margin", &options_.margin,
                 "aligned crop side / face box side (0 = the preset's)");
    flags.Int("detect_max_side", &options_.detect_max_side,
              "downscale frames to this longest side for face detection (0 = never)");
    flags.Bool("keyframes", &options_.keyframes,
               "evenly spaced sampling takes the keyframe at or before each time: one decoded "
               "frame per sample, much faster on long or 4K videos, picks up to a keyframe "
               "interval early");
    flags.Int("upsample", &options_.upsample,
              "upsample frames 2x this many times (0-3) before detection to find smaller faces "
              "(each 4x the detection cost)");
    flags.Double("min_face_size", &options_.min_face_size,
                 "ignore faces smaller than this (box side, px)");
    flags.String("input_format", &options_.input_format,
                 "FFmpeg input format or device (\"\" = probe): v4l2 for a webcam "
                 "(--video_path /dev/video0), lavfi, mpegts, ...");
    flags.Double("timeout_seconds", &options_.timeout_seconds,
                 "give up on a live input (pipe, device, URL) that takes longer than this to "
                 "open or to send more data (0 = wait forever; files never wait)");
    flags.Int64("max_decoded_frames", &options_.max_decoded_frames,
                "stop decoding after this many frames (0 = the default, 10000); what ends an "
                "endless live source");
    common_.Define(flags, kFacesCommonFlags);
  }

  int Run(const std::vector<std::string>&, std::ostream& out, std::ostream& err) override {
    absl::Status usage_error = CheckFacesOptions(options_);
    absl::StatusOr<cli::CommonFlags::Applied> common = common_.Apply(kFacesCommonFlags);
    if (usage_error.ok() && !common.ok()) usage_error = common.status();
    if (!usage_error.ok()) {
      err << "deepfake faces: " << usage_error.message() << "\nusage: deepfake faces " << usage()
          << "\n";
      return cli::kExitUsage;
    }
    // A file is resolved like every path flag; with --input_format the name is a device, a
    // filter graph or a URL, given as is.
    if (options_.input_format.empty()) {
      options_.video_path = cli::ResolveUserPath(options_.video_path);
    }
    const absl::Status status = RunFacesCommand(options_, *common, out);
    if (!status.ok()) {
      err << "deepfake faces: " << status.message() << "\n";
      return cli::kExitFailure;
    }
    return cli::kExitOk;
  }

 private:
  FacesCommandOptions options_;
  cli::CommonFlags common_;
};

}  // namespace

std::unique_ptr<cli::Command> MakeFacesCommand() { return std::make_unique<FacesCommand>(); }

}  // namespace serve
