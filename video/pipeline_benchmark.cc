// pipeline_benchmark: decode + detect + align 16 evenly spaced frames of a generated 10 s
// 1080p H.264 clip (a real face from video/testdata pasted on a moving background), with
// the default preset's preprocessing. Prints ms per video and where the time goes, on the
// thread pool and on one thread, then what the face stage costs next to the `default`
// detector's inference on the same 16 crops (same process, same threads).
//   bazel run //video:pipeline_benchmark [-- --repeats=5]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "base/thread_pool.h"
#include "nn/check.h"
#include "nn/models/detector.h"
#include "nn/models/presets.h"
#include "video/preprocess.h"
#include "video/testing/synthetic_clips.h"

ABSL_FLAG(int, repeats, 5, "timed runs per configuration (the median is reported)");
ABSL_FLAG(std::string, face_clip, "video/testdata/retalking_face2_2s.mp4",
          "clip whose first frame is pasted into the generated video");
ABSL_FLAG(int, decoder_threads, 0, "FFmpeg decoder threads (0 = FFmpeg's choice)");
ABSL_FLAG(std::string, landmark_model, "external/dlib/shape_predictor_68_face_landmarks.dat",
          "shape_predictor_68_face_landmarks.dat");

namespace {

using Clock = std::chrono::steady_clock;

double MedianOf(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

double MedianMs(const std::function<void()>& fn, int repeats) {
  std::vector<double> ms;
  for (int r = 0; r < repeats; ++r) {
    const Clock::time_point start = Clock::now();
    fn();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  return MedianOf(std::move(ms));
}

video::StageTimes Median(std::vector<video::StageTimes> runs) {
  auto median = [&](double video::StageTimes::*field) {
    std::vector<double> values;
    for (const video::StageTimes& t : runs) values.push_back(t.*field);
    return MedianOf(std::move(values));
  };
  video::StageTimes m;
  for (auto field :
       {&video::StageTimes::decode_ms, &video::StageTimes::detect_ms,
        &video::StageTimes::detector_cpu_ms, &video::StageTimes::landmarks_cpu_ms,
        &video::StageTimes::track_ms, &video::StageTimes::crop_ms, &video::StageTimes::total_ms}) {
    m.*field = median(field);
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  video::SamplingOptions first;
  first.num_frames = 1;
  absl::StatusOr<std::vector<video::Frame>> face =
      video::SampleFrames(absl::GetFlag(FLAGS_face_clip), first);
  if (!face.ok()) {
    std::fprintf(stderr, "%s\n", face.status().ToString().c_str());
    return 1;
  }
  const video::Frame& face_frame = face->front();
  const std::string path =
      std::string(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp") +
      "/pipeline_benchmark_1080p.mp4";
  video::testing::SyntheticClipOptions clip;
  clip.codec = "libx264";
  clip.width = 1920;
  clip.height = 1080;
  clip.fps = 25;
  clip.frames = 250;
  clip.gop_size = 50;
  clip.encoder_options = {{"preset", "veryfast"}, {"crf", "20"}};
  clip.draw = [&](int index, int width, int height, uint8_t* rgb) {
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        uint8_t* p = rgb + (static_cast<size_t>(y) * width + x) * 3;
        p[0] = static_cast<uint8_t>((x + 3 * index) / 8);
        p[1] = static_cast<uint8_t>(y / 5);
        p[2] = 120;
      }
    }
    video::testing::PasteImage(face_frame.rgb.data(), face_frame.width, face_frame.height,
                               300 + 3 * index, 200 + index, width, height, rgb);
  };
  std::printf("encoding a 10 s 1920x1080 H.264 clip (250 frames, GOP 50)...\n");
  if (absl::Status s = video::testing::WriteSyntheticClip(path, clip); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }

  const nn::ModelPreset preset = nn::GetPreset("default").value();
  video::PreprocessOptions options = video::PreprocessOptionsForPreset(preset);
  options.landmark_model_path = absl::GetFlag(FLAGS_landmark_model);
  options.sampling.open_options.decoder_threads = absl::GetFlag(FLAGS_decoder_threads);
  // Warm-up: loads the 99.7 MB landmark model once per process (not per video).
  if (auto warm = video::PreprocessVideo(path, preset.preprocessing, options); !warm.ok()) {
    std::fprintf(stderr, "%s\n", warm.status().ToString().c_str());
    return 1;
  } else {
    std::printf("tracks: %zu, face detected in %d of %zu frames, median face %.0f px\n",
                warm->tracks.size(), warm->tracks[0].track.num_detections, warm->frames.size(),
                warm->tracks[0].track.median_face_size);
  }
  const int repeats = absl::GetFlag(FLAGS_repeats);
  std::printf("\n%-26s %8s %8s %8s %9s %9s %7s %7s\n", "configuration", "total", "decode",
              "+detect", "(HOG cpu)", "(lmk cpu)", "track", "crops");
  std::map<std::string, double> totals;
  for (const int max_side : {640, 480}) {
    for (const bool parallel : {true, false}) {
      options.parallel = parallel;
      options.detector.max_detection_side = max_side;
      std::vector<video::StageTimes> runs;
      for (int r = 0; r < repeats; ++r) {
        runs.push_back(video::PreprocessVideo(path, preset.preprocessing, options)->times);
      }
      const video::StageTimes m = Median(runs);
      const std::string name = std::string(parallel ? "pool " : "1 thread ") + "(" +
                               std::to_string(parallel ? base::GetNumThreads() : 1) + "), detect@" +
                               std::to_string(max_side);
      totals[name] = m.total_ms;
      std::printf("%-26s %8.1f %8.1f %8.1f %9.1f %9.1f %7.2f %7.1f\n", name.c_str(), m.total_ms,
                  m.decode_ms, m.detect_ms, m.detector_cpu_ms, m.landmarks_cpu_ms, m.track_ms,
                  m.crop_ms);
    }
  }
  std::printf(
      "\nms per video (median of %d). decode = sampling, with detection of the frames decoded so\n"
      "far running beside it; +detect = detection + landmarks left after decoding ended; (cpu)\n"
      "columns sum per-frame work over threads.\n",
      repeats);

  // The face stage next to the model: decoding alone, preprocessing, and the default
  // detector's forward pass on the resulting [1, 16, 3, 224, 224] crops.
  options.parallel = true;
  options.detector.max_detection_side = 640;
  video::SamplingOptions sampling = options.sampling;
  sampling.num_frames = preset.preprocessing.frames;
  const double decode_only =
      MedianMs([&] { NN_CHECK(video::SampleFrames(path, sampling).ok()); }, repeats);
  const double preprocess =
      totals["pool (" + std::to_string(base::GetNumThreads()) + "), detect@640"];
  auto video = video::PreprocessVideo(path, preset.preprocessing, options);
  NN_CHECK(video.ok()) << video.status().message();
  const nn::Tensor& faces = video->tracks[0].faces;
  const nn::Tensor input =
      faces.Reshape(nn::Shape{1, faces.dim(0), faces.dim(1), faces.dim(2), faces.dim(3)});
  nn::Detector detector(preset.detector);  // random weights: the cost does not depend on them
  detector.Eval();
  detector.Forward(input);  // warm-up
  const double inference = MedianMs([&] { detector.Forward(input); }, repeats);
  const double face_stage = preprocess - decode_only;
  std::printf(
      "\nend to end, %d threads: decode alone %.0f ms; preprocess (decode + faces + crops) %.0f "
      "ms;\n`default` inference on the %lld crops %.0f ms. The face stage adds %.0f ms beyond "
      "decoding:\n%.0f%% of the inference time%s.\n",
      base::GetNumThreads(), decode_only, preprocess, static_cast<long long>(faces.dim(0)),
      inference, face_stage, 100.0 * face_stage / inference,
      face_stage < inference ? " (the model, not the face stage, is the bottleneck)"
                             : " (the face stage is the bottleneck)");
  return 0;
}
