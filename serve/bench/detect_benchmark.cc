// detect_benchmark: seconds per 10-second video, end to end (decode, faces, crops, model),
// through serve::Detector with a random-weight checkpoint of a preset (`default`: speed
// does not depend on the weights), one video at a time (Detect) and 16 at once
// (DetectBatch). It also writes what tools/pytorch_ref/detect_pipeline.py needs to run the
// same pipeline in PyTorch on the same crops, and our figures for it to compare with:
//
//   bazel run -c opt //serve/bench:detect_benchmark              # writes /tmp/detect_benchmark
//   /usr/bin/python3 tools/pytorch_ref/detect_pipeline.py --work_dir /tmp/detect_benchmark
//
// Inputs: the first --seconds of each clip in --clips_dir, re-encoded (H.264, CRF 23, GOP
// 50, own size and frame rate; shorter clips ping-ponged to length): serve/bench/bench_clips.h.
// Timing: single = wall time of Detect over every clip in turn, / clips; batch = wall time
// of DetectBatch over --batch clips (clips repeated if fewer), / batch; each the median of
// --repeats, after one untimed warm-up Detect (loads dlib's models, first allocations).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "base/thread_pool.h"
#include "eval/model_file.h"
#include "nlohmann/json.hpp"
#include "nn/io/checkpoint.h"
#include "nn/layers/init.h"
#include "nn/models/detector.h"
#include "nn/models/presets.h"
#include "serve/api/detector.h"
#include "serve/bench/bench_clips.h"
#include "serve/bench/pytorch_manifest.h"
#include "video/preprocess.h"

ABSL_FLAG(std::string, clips_dir, "/work/shared/data/real_faces", "source clips (*.mp4)");
ABSL_FLAG(std::string, work_dir, "/tmp/detect_benchmark",
          "where the cut clips, the checkpoint, the manifest and the results go");
ABSL_FLAG(double, seconds, 10, "duration of every benchmark clip");
ABSL_FLAG(std::string, preset, "default", "model preset (random weights)");
ABSL_FLAG(int, frames, 16, "frames sampled per video");
ABSL_FLAG(int, batch, 16, "videos per DetectBatch");
ABSL_FLAG(int, model_batch, 8, "face tracks per model Forward (DetectorOptions::batch_size)");
ABSL_FLAG(int, repeats, 3, "timed runs of each mode (the median is reported)");
ABSL_FLAG(int, threads, 0, "CPU threads (0 = every core)");
ABSL_FLAG(std::string, device, "cpu", "cpu, cuda or auto");
ABSL_FLAG(std::string, landmark_model, "", "shape_predictor_68 (empty = installed one)");
ABSL_FLAG(int, max_clips, 0, "use only the first N clips (0 = all; a quick check)");
ABSL_FLAG(bool, prepare_only, false,
          "cut the clips and write the checkpoint and the PyTorch manifest, then stop");

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// User + system CPU seconds of this process so far (all threads): on a shared machine,
// CPU time per video says what the work costs, whatever else holds the cores.
double CpuSeconds() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "detect_benchmark: %s\n", status.ToString().c_str());
  return 1;
}

// Mean stage times (ms) per video of one pass.
struct Stages {
  double decode = 0, faces = 0, crop = 0, model = 0, total = 0;
};
Stages MeanStages(const std::vector<serve::DetectionResult>& results) {
  Stages s;
  for (const serve::DetectionResult& r : results) {
    s.decode += r.times.decode;
    s.faces += r.times.faces;
    s.crop += r.times.crop;
    s.model += r.times.model;
    s.total += r.times.total;
  }
  const double n = results.empty() ? 1 : results.size();
  return {s.decode / n, s.faces / n, s.crop / n, s.model / n, s.total / n};
}
nlohmann::json StagesJson(const Stages& s) {
  return {{"decode_ms", s.decode}, {"faces_ms", s.faces}, {"crop_ms", s.crop},
          {"model_ms", s.model},   {"total_ms", s.total}};
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_threads) > 0) base::SetNumThreads(absl::GetFlag(FLAGS_threads));
  const std::string work_dir = absl::GetFlag(FLAGS_work_dir);
  const int repeats = std::max(1, absl::GetFlag(FLAGS_repeats));
  const double load_before = [] {
    double load[1] = {0};
    return getloadavg(load, 1) == 1 ? load[0] : -1;
  }();

  // Inputs.
  std::vector<std::string> sources;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(absl::GetFlag(FLAGS_clips_dir), error)) {
    if (entry.path().extension() == ".mp4") sources.push_back(entry.path().string());
  }
  if (error || sources.empty()) {
    return Fail(absl::NotFoundError(
        absl::StrCat(absl::GetFlag(FLAGS_clips_dir), ": no .mp4 clips ", error.message())));
  }
  std::sort(sources.begin(), sources.end());
  if (const int n = absl::GetFlag(FLAGS_max_clips); n > 0 && n < static_cast<int>(sources.size())) {
    sources.resize(n);
  }
  serve::bench::ClipSpec spec;
  spec.seconds = absl::GetFlag(FLAGS_seconds);
  std::fprintf(stderr, "cutting %zu clips to %.0f s in %s/clips\n", sources.size(), spec.seconds,
               work_dir.c_str());
  absl::StatusOr<std::vector<std::string>> clips =
      serve::bench::MakeBenchClips(sources, work_dir + "/clips", spec);
  if (!clips.ok()) return Fail(clips.status());

  // A random-weight checkpoint of the preset.
  absl::StatusOr<nn::ModelPreset> preset = nn::GetPreset(absl::GetFlag(FLAGS_preset));
  if (!preset.ok()) return Fail(preset.status());
  const std::string model_path = absl::StrCat(work_dir, "/", preset->name, "_random.safetensors");
  {
    nn::SetInitSeed(1);
    nn::Detector model(preset->detector);
    eval::ModelProvenance provenance;
    if (absl::Status s = nn::io::SaveCheckpoint(model_path, model,
                                                eval::MetadataForModel(*preset, provenance, 0));
        !s.ok()) {
      return Fail(s);
    }
  }
  // The PyTorch pipeline's manifest: our crops and their maps, preprocessed on one thread.
  nn::ModelPreset sampled = *preset;
  sampled.preprocessing.frames = absl::GetFlag(FLAGS_frames);
  absl::StatusOr<nlohmann::json> manifest = serve::bench::PytorchManifest(
      *clips, sampled, absl::GetFlag(FLAGS_landmark_model), work_dir);
  if (!manifest.ok()) return Fail(manifest.status());
  (*manifest)["checkpoint"] = model_path;
  if (absl::GetFlag(FLAGS_prepare_only)) {
    std::ofstream(work_dir + "/manifest.json") << manifest->dump(1) << "\n";
    std::printf("wrote %s/manifest.json (no timing: --prepare_only)\n", work_dir.c_str());
    return 0;
  }

  serve::DetectorOptions options;
  options.device = absl::GetFlag(FLAGS_device);
  options.frames = absl::GetFlag(FLAGS_frames);
  options.batch_size = absl::GetFlag(FLAGS_model_batch);
  options.landmark_model_path = absl::GetFlag(FLAGS_landmark_model);
  absl::StatusOr<std::unique_ptr<serve::Detector>> detector =
      serve::Detector::Load(model_path, options);
  if (!detector.ok()) return Fail(detector.status());

  const int threads = base::GetNumThreads();
  std::fprintf(stderr, "warm-up...\n");
  (*detector)->Detect(clips->front());

  // Single: every clip in turn.
  std::vector<double> single_seconds, single_cpu;
  std::vector<Stages> single_stages;
  std::vector<serve::DetectionResult> last;
  for (int r = 0; r < repeats; ++r) {
    last.clear();
    const Clock::time_point start = Clock::now();
    const double cpu_start = CpuSeconds();
    for (const std::string& clip : *clips) last.push_back((*detector)->Detect(clip));
    single_seconds.push_back(Seconds(start) / clips->size());
    single_cpu.push_back((CpuSeconds() - cpu_start) / clips->size());
    single_stages.push_back(MeanStages(last));
    std::fprintf(stderr, "  single, pass %d/%d: %.3f s per video\n", r + 1, repeats,
                 single_seconds.back());
  }
  int undetermined = 0, tracks = 0;
  nlohmann::json probabilities = nlohmann::json::object();  // path -> P(fake) per track
  for (const serve::DetectionResult& result : last) {
    std::vector<double> track_probabilities;
    for (const serve::TrackResult& track : result.tracks) {
      track_probabilities.push_back(track.fake_probability);
    }
    probabilities[result.path] = track_probabilities;
    if (result.verdict == serve::Verdict::kUndetermined) {
      ++undetermined;
      std::fprintf(stderr, "  UNDETERMINED: %s\n", result.message.c_str());
    }
    tracks += static_cast<int>(result.tracks.size());
  }
  // The pass with the median time gives the stage breakdown.
  const size_t median_pass =
      std::min_element(single_seconds.begin(), single_seconds.end(),
                       [&](double a, double b) {
                         const double m = Median(single_seconds);
                         return std::abs(a - m) < std::abs(b - m);
                       }) -
      single_seconds.begin();

  // Batch: --batch clips per DetectBatch.
  std::vector<std::string> batch;
  for (int i = 0; i < absl::GetFlag(FLAGS_batch); ++i) batch.push_back((*clips)[i % clips->size()]);
  std::vector<double> batch_seconds, batch_cpu;
  for (int r = 0; r < repeats; ++r) {
    const Clock::time_point start = Clock::now();
    const double cpu_start = CpuSeconds();
    std::vector<serve::DetectionResult> results = (*detector)->DetectBatch(batch);
    batch_seconds.push_back(Seconds(start) / batch.size());
    batch_cpu.push_back((CpuSeconds() - cpu_start) / batch.size());
    std::fprintf(stderr, "  batch of %zu, pass %d/%d: %.3f s per video\n", batch.size(), r + 1,
                 repeats, batch_seconds.back());
  }

  const double load_after = [] {
    double load[1] = {0};
    return getloadavg(load, 1) == 1 ? load[0] : -1;
  }();
  nlohmann::json results = {
      {"implementation", "C++ (serve::Detector)"},
      {"preset", preset->name},
      {"frames", (*detector)->preset().preprocessing.frames},
      {"seconds_per_clip", spec.seconds},
      {"clips", clips->size()},
      {"face_tracks", tracks},
      {"undetermined", undetermined},
      {"threads", threads},
      {"hardware_threads", std::thread::hardware_concurrency()},
      {"device", (*detector)->model().device},
      {"model_batch", options.batch_size},
      {"repeats", repeats},
      {"single_seconds_per_video", Median(single_seconds)},
      {"single_passes", single_seconds},
      {"single_cpu_seconds_per_video", Median(single_cpu)},
      {"single_stages", StagesJson(single_stages[median_pass])},
      {"batch", batch.size()},
      {"batch_seconds_per_video", Median(batch_seconds)},
      {"batch_passes", batch_seconds},
      {"batch_cpu_seconds_per_video", Median(batch_cpu)},
      {"load_average_before", load_before},
      {"load_average_after", load_after},
  };
  nlohmann::json manifest_results = results;
  manifest_results["probabilities"] = probabilities;
  (*manifest)["cpp_results"] = manifest_results;
  const std::string manifest_path = work_dir + "/manifest.json";
  std::ofstream(manifest_path) << manifest->dump(1) << "\n";

  const Stages& s = single_stages[median_pass];
  std::printf(
      "C++ serve::Detector, preset %s, %d frames, %zu clips of %.0f s, %d threads (%s), "
      "median of %d:\n"
      "  single:      %.3f s per video, %.3f CPU s (decode %.0f ms, faces %.0f, crops %.0f, "
      "model %.0f; decode overlaps faces)\n"
      "  batch of %zu: %.3f s per video, %.3f CPU s\n"
      "  %d face tracks, %d undetermined; load average %.2f before, %.2f after\n"
      "manifest for tools/pytorch_ref/detect_pipeline.py: %s\n",
      preset->name.c_str(), (*detector)->preset().preprocessing.frames, clips->size(),
      spec.seconds, threads, (*detector)->model().device.c_str(), repeats, Median(single_seconds),
      Median(single_cpu), s.decode, s.faces, s.crop, s.model, batch.size(), Median(batch_seconds),
      Median(batch_cpu), tracks,
      undetermined, load_before, load_after, manifest_path.c_str());
  std::printf("%s\n", results.dump().c_str());
  return 0;
}
