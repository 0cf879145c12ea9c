// face_stage_benchmark: the face stage (detection + landmarks + tracking + crops, i.e.
// PreprocessFrames on decoded frames) per 16-frame video with each detector mode (hog, cnn,
// auto) at 480p, 720p and 1080p, next to the `default` model's inference on 16 crops.
// Frames: 16 frames of a committed real clip letterboxed into a 16:9 frame of each height
// (ordinary footage: one face filling much of the frame), and with `auto` only (the other
// modes cost what they cost on the ordinary clip) the dark-room fixture and the two-person
// fixture whose second face is in shadow in 6 of 16 frames (auto's lost-track searches),
// and at 1080p the tiny-picture fixture (a 120 px tall clip in a black 1080p frame: the
// CNN on the picture area).
// --cnn_profile first prints where the CNN's time goes (its tiled image pyramid) and one
// whole-frame CNN call against one region search. The models load
// once, before the first timed run.
//   bazel run -c opt //video:face_stage_benchmark [-- --repeats=3]
#include <dlib/image_transforms/image_pyramid.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "base/thread_pool.h"
#include "nn/check.h"
#include "nn/models/detector.h"
#include "nn/models/presets.h"
#include "video/cnn_face_detector.h"
#include "video/preprocess.h"
#include "video/sampling.h"

ABSL_FLAG(int, repeats, 3, "timed runs per configuration (the median is reported)");
ABSL_FLAG(std::string, modes, "hog,cnn,auto", "detector modes to time (comma-separated)");
ABSL_FLAG(bool, cnn_profile, true,
          "first, where the CNN's time goes: its image pyramid at each input size, and one "
          "whole-frame call against one region search around the face");
ABSL_FLAG(std::string, landmark_model, "external/dlib/shape_predictor_68_face_landmarks.dat",
          "shape_predictor_68_face_landmarks.dat");

namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// `in` scaled to `height` rows, centred in a black 16:9 frame of that height.
video::Frame Letterboxed(const video::Frame& in, int height) {
  video::Frame out;
  out.index = in.index;
  out.timestamp_seconds = in.timestamp_seconds;
  out.height = height;
  out.width = height * 16 / 9 / 2 * 2;
  out.rgb.assign(static_cast<size_t>(out.width) * out.height * 3, 0);
  int w = 0, h = 0;
  const std::vector<uint8_t> scaled =
      video::ResizedRgb(in, static_cast<double>(height) / in.height, &w, &h);
  const int x0 = std::max(0, (out.width - w) / 2);
  for (int y = 0; y < std::min(h, out.height); ++y) {
    std::copy_n(scaled.data() + static_cast<size_t>(y) * w * 3, std::min(w, out.width) * 3,
                out.rgb.data() + (static_cast<size_t>(y) * out.width + x0) * 3);
  }
  return out;
}

// The MMOD net's input: the image and its pyramid_down<6> levels (each 5/6 the side of
// the last, down to 5 rows) tiled into one image; the net's cost is about its area.
void PrintPyramid(int width, int height) {
  std::vector<dlib::rectangle> rects;
  long rows = 0, cols = 0;
  dlib::impl::compute_tiled_image_pyramid_details(dlib::pyramid_down<6>(), height, width, 10, 11,
                                                  rects, rows, cols);
  double useful = 0;  // levels still at least 80 px tall (the net's window is ~80 px)
  for (const dlib::rectangle& r : rects) useful += r.height() >= 80 ? r.area() : 0;
  std::printf(
      "  %4dx%-4d: %2zu pyramid levels, tiled input %ldx%ld = %.2f x the image "
      "(levels >= 80 px tall: %.2f x)\n",
      width, height, rects.size(), cols, rows,
      static_cast<double>(rows) * cols / (static_cast<double>(width) * height),
      useful / (static_cast<double>(width) * height));
}

// One CNN call on the whole 1280x720 frame (auto's whole-frame fallback) against one
// region search around the face found by HOG (auto's lost-track search), median ms.
void ProfileCnn(const video::Frame& frame, int repeats) {
  std::printf("CNN profile (frame %dx%d):\n", frame.width, frame.height);
  for (const auto& [w, h] :
       std::vector<std::pair<int, int>>{{1920, 1080}, {1280, 720}, {640, 360}, {300, 300}}) {
    PrintPyramid(w, h);
  }
  video::FaceDetectorOptions options;
  video::FaceDetector detector(options);
  const video::FrameDetection hog =
      detector.DetectWith(video::FaceDetectorKind::kHog, frame).value();
  NN_CHECK(!hog.faces.empty()) << "no face in the profile frame";
  double region_scale = 0;
  const video::FaceBox region = detector.CnnRegion(frame, hog.faces[0], &region_scale);
  std::vector<double> whole, around;
  for (int r = 0; r < repeats + 1; ++r) {
    Clock::time_point start = Clock::now();
    NN_CHECK(detector.DetectWith(video::FaceDetectorKind::kCnn, frame).ok());
    if (r > 0) whole.push_back(Ms(start));
    start = Clock::now();
    NN_CHECK(detector.DetectInRegion(frame, hog.faces[0]).ok());
    if (r > 0) around.push_back(Ms(start));
  }
  const double scale = video::CnnDetectionScale(frame.width, frame.height, options);
  std::printf(
      "  whole frame at %.2fx (%.0fx%.0f px): %.0f ms; region around the %.0f px face "
      "(%.0fx%.0f px at %.2fx = %.0fx%.0f): %.0f ms\n",
      scale, frame.width * scale, frame.height * scale, Median(whole), hog.faces[0].size(),
      region.width(), region.height(), region_scale, region.width() * region_scale,
      region.height() * region_scale, Median(around));
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int repeats = absl::GetFlag(FLAGS_repeats);
  const nn::ModelPreset preset = nn::GetPreset("default").value();
  video::SamplingOptions sampling;
  sampling.num_frames = preset.preprocessing.frames;

  std::printf("%d threads; ms per %d-frame video, median of %d\n", base::GetNumThreads(),
              sampling.num_frames, repeats);
  const std::string modes = absl::GetFlag(FLAGS_modes);
  if (absl::GetFlag(FLAGS_cnn_profile)) {
    absl::StatusOr<std::vector<video::Frame>> source =
        video::SampleFrames("video/testdata/retalking_face2_2s.mp4", sampling);
    NN_CHECK(source.ok()) << source.status().message();
    ProfileCnn(Letterboxed(source->front(), 720), repeats);
  }
  std::printf("%-27s %6s %-5s %9s %11s %9s %5s %7s %5s\n", "clip", "height", "mode", "face_ms",
              "detect_cpu", "lmk_cpu", "cnn_f", "roi", "track");
  for (const char* clip : {"video/testdata/retalking_face2_2s.mp4", "video/testdata/faces_dark.mp4",
                           "video/testdata/faces_two_people_shadow.mp4",
                           "video/testdata/faces_tiny_1080p.mp4"}) {
    absl::StatusOr<std::vector<video::Frame>> source = video::SampleFrames(clip, sampling);
    NN_CHECK(source.ok()) << source.status().message();
    for (const int height : {480, 720, 1080}) {
      const bool tiny = std::string(clip).find("tiny") != std::string::npos;
      if (tiny && height != 1080) continue;  // already 1080p; letterboxing would shrink it
      std::vector<video::Frame> frames;
      for (const video::Frame& f : *source) frames.push_back(Letterboxed(f, height));
      for (const video::FaceDetectorKind kind :
           {video::FaceDetectorKind::kHog, video::FaceDetectorKind::kCnn,
            video::FaceDetectorKind::kAuto}) {
        video::PreprocessOptions options = video::PreprocessOptionsForPreset(preset);
        options.landmark_model_path = absl::GetFlag(FLAGS_landmark_model);
        options.detector.kind = kind;
        std::vector<double> total, detect_cpu, landmarks_cpu;
        int cnn_frames = 0, tracks = -1, roi_searches = 0, roi_found = 0;
        if (modes.find(video::FaceDetectorKindName(kind)) == std::string::npos) continue;
        const bool hard = std::string(clip).find("retalking") == std::string::npos;
        if (hard && kind != video::FaceDetectorKind::kAuto) continue;  // as the ordinary clip
        static bool warm = false;
        for (int r = warm ? 1 : 0; r < repeats + 1; ++r) {  // run 0 loads the models, once
          warm = true;
          const Clock::time_point start = Clock::now();
          absl::StatusOr<video::PreprocessedVideo> v =
              video::PreprocessFrames(clip, frames, preset.preprocessing, options);
          const double ms = Ms(start);
          if (r == 0) continue;
          total.push_back(ms);
          tracks = v.ok() ? static_cast<int>(v->tracks.size()) : 0;
          if (!v.ok()) continue;
          detect_cpu.push_back(v->times.detector_cpu_ms);
          landmarks_cpu.push_back(v->times.landmarks_cpu_ms);
          cnn_frames = roi_searches = roi_found = 0;
          for (const video::SampledFrameInfo& f : v->frames) {
            cnn_frames += f.detector == video::FaceDetectorKind::kCnn;
            roi_searches += f.cnn_roi_searches;
            roi_found += f.cnn_roi_found;
          }
        }
        std::string name = std::string(clip).substr(std::string(clip).rfind('/') + 1);
        std::printf("%-27s %6d %-5s %9.0f %11.0f %9.0f %5d %3d/%-3d %5d\n", name.c_str(), height,
                    video::FaceDetectorKindName(kind), Median(total),
                    detect_cpu.empty() ? 0 : Median(detect_cpu),
                    landmarks_cpu.empty() ? 0 : Median(landmarks_cpu), cnn_frames, roi_found,
                    roi_searches, tracks);
        std::fflush(stdout);
      }
    }
  }

  nn::Detector detector(preset.detector);  // random weights: the cost does not depend on them
  detector.Eval();
  const nn::Tensor input = nn::Tensor::Zeros(nn::Shape{1, preset.preprocessing.frames, 3,
                                                       preset.preprocessing.image_size,
                                                       preset.preprocessing.image_size});
  detector.Forward(input);  // warm-up
  std::vector<double> inference;
  for (int r = 0; r < repeats; ++r) {
    const Clock::time_point start = Clock::now();
    detector.Forward(input);
    inference.push_back(Ms(start));
  }
  std::printf("`default` model inference on [1, %d, 3, %d, %d]: %.0f ms\n",
              preset.preprocessing.frames, preset.preprocessing.image_size,
              preset.preprocessing.image_size, Median(inference));
  std::printf(
      "face_ms: wall time of the face stage; detect_cpu/lmk_cpu: detector and landmark\n"
      "work summed over threads; cnn_f: frames whose faces came from the CNN; roi:\n"
      "faces found / region searches around lost tracks; track: face tracks found.\n");
  return 0;
}
