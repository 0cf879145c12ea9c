// Latency benchmark of real-time mode: a face clip played as a live 25-fps feed through
// libavdevice's lavfi device (`movie=CLIP,realtime`, looped) into RunRealtime with a
// random-weight checkpoint of --preset (or --model_path), for --seconds; prints the score
// lines and the summary (latency p50/p95/max from a frame's arrival to its score). Ctrl-C
// stops it cleanly.
//
//   bazel run -c opt //serve/realtime:realtime_bench --
//       --clip /work/shared/data/real_faces/sadtalker_RD_Radio2_000.mp4 --preset small
// (one command line).
#include <csignal>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/thread_pool.h"
#include "serve/api/detector.h"
#include "serve/api/testing/test_model.h"
#include "serve/realtime/realtime.h"

ABSL_FLAG(std::string, clip, "", "video file played as the live feed (required)");
ABSL_FLAG(std::string, model_path, "", "checkpoint; empty = random weights of --preset");
ABSL_FLAG(std::string, preset, "small", "preset of the random-weight checkpoint");
ABSL_FLAG(std::string, device, "cpu", "cpu, cuda or auto");
ABSL_FLAG(std::string, landmark_model, "", "shape_predictor_68 path; empty = installed");
ABSL_FLAG(double, fps, 25, "feed rate (the clip is renumbered at this rate)");
ABSL_FLAG(int, every, 8, "a score every this many frames");
ABSL_FLAG(int, window, 0, "frames per score; 0 = the preset's");
ABSL_FLAG(double, seconds, 20, "length of the run");
ABSL_FLAG(int, threads, 0, "threads of base's pool; 0 = all cores");
ABSL_FLAG(int, face_threads, 0, "threads finding faces; 0 = half the pool's");
ABSL_FLAG(std::string, output_file, "", "JSONL of the scores and the summary");
ABSL_FLAG(bool, show_window, false, "the X11 overlay window");
ABSL_FLAG(std::string, format_options, "", "demuxer options k=v,k=v (e.g. analyzeduration=0)");

namespace {
std::atomic<bool> stop{false};
void OnSignal(int) { stop = true; }
}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string clip = absl::GetFlag(FLAGS_clip);
  if (clip.empty()) {
    std::cerr << "--clip is required\n";
    return 2;
  }
  if (absl::GetFlag(FLAGS_threads) > 0) base::SetNumThreads(absl::GetFlag(FLAGS_threads));
  std::string model_path = absl::GetFlag(FLAGS_model_path);
  if (model_path.empty()) {
    model_path = absl::StrCat("/tmp/realtime_bench_", absl::GetFlag(FLAGS_preset), ".safetensors");
    serve::testing::WriteRandomModel(model_path, absl::GetFlag(FLAGS_preset), /*seed=*/1);
  }
  serve::DetectorOptions detector_options;
  detector_options.device = absl::GetFlag(FLAGS_device);
  detector_options.landmark_model_path = absl::GetFlag(FLAGS_landmark_model);
  auto detector = serve::Detector::Load(model_path, detector_options);
  if (!detector.ok()) {
    std::cerr << detector.status().message() << "\n";
    return 1;
  }
  serve::realtime::RealtimeOptions options;
  options.source =
      absl::StrCat("movie=", clip, ":loop=0,setpts=N/", absl::GetFlag(FLAGS_fps), "/TB,realtime");
  options.open.input_format = "lavfi";
  for (absl::string_view kv :
       absl::StrSplit(absl::GetFlag(FLAGS_format_options), ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> entry = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    options.open.format_options.insert(entry);
  }
  options.every = absl::GetFlag(FLAGS_every);
  options.face_threads = absl::GetFlag(FLAGS_face_threads);
  options.window = absl::GetFlag(FLAGS_window);
  options.max_seconds = absl::GetFlag(FLAGS_seconds);
  options.output_file = absl::GetFlag(FLAGS_output_file);
  options.show_window = absl::GetFlag(FLAGS_show_window);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::cout << "model: " << (*detector)->model().preset << " on " << (*detector)->model().device
            << ", window "
            << (options.window > 0 ? options.window : (*detector)->preset().preprocessing.frames)
            << " frames, a score every " << options.every << "\n";
  const serve::realtime::RealtimeSummary summary =
      serve::realtime::RunRealtime(**detector, options, stop, std::cout, std::cerr);
  return summary.error.empty() ? 0 : 1;
}
