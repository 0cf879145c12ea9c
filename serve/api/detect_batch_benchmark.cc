// DetectBatch vs Detect, end to end, on real clips with a random-weight model of a preset:
//   1. Detect on each video in turn;
//   2. DetectBatch, one video per Forward (decoding/face finding overlap the model);
//   3. DetectBatch with cross-video batching (tracks of ready videos share Forwards);
// and the model alone: each video's tracks in their own Forward vs all tracks batched.
// Checks that every run gives the same probabilities.
//   bazel run -c opt //serve/api:detect_batch_benchmark -- --preset=small --threads=2
//       /work/shared/data/real_faces/*.mp4
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "base/thread_pool.h"
#include "serve/api/detector.h"
#include "serve/api/testing/test_model.h"

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool SameProbabilities(const std::vector<serve::DetectionResult>& a,
                       const std::vector<serve::DetectionResult>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].fake_probability != b[i].fake_probability) return false;
    if (a[i].tracks.size() != b[i].tracks.size()) return false;
    for (size_t t = 0; t < a[i].tracks.size(); ++t) {
      if (a[i].tracks[t].fake_probability != b[i].tracks[t].fake_probability) return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string preset = "small", landmarks;
  int threads = 0, batch_size = 8, repeats = 1;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (absl::StartsWith(arg, "--preset=")) {
      preset = arg.substr(9);
    } else if (absl::StartsWith(arg, "--threads=")) {
      threads = std::stoi(arg.substr(10));
    } else if (absl::StartsWith(arg, "--batch_size=")) {
      batch_size = std::stoi(arg.substr(13));
    } else if (absl::StartsWith(arg, "--repeats=")) {
      repeats = std::stoi(arg.substr(10));
    } else if (absl::StartsWith(arg, "--landmark_model=")) {
      landmarks = arg.substr(17);
    } else {
      paths.push_back(arg);
    }
  }
  if (paths.empty()) {
    std::fprintf(stderr,
                 "usage: detect_batch_benchmark [--preset=small] [--threads=N] "
                 "[--batch_size=8] [--repeats=1] [--landmark_model=PATH] VIDEO...\n");
    return 2;
  }
  if (threads > 0) base::SetNumThreads(threads);
  std::vector<std::string> inputs;
  for (int r = 0; r < repeats; ++r) inputs.insert(inputs.end(), paths.begin(), paths.end());

  const std::string model = serve::testing::WriteRandomModel(
      (std::filesystem::temp_directory_path() / ("detect_batch_benchmark_" + preset +
                                                 ".safetensors"))
          .string(),
      preset);
  serve::DetectorOptions options;
  options.device = "cpu";
  options.batch_size = batch_size;
  options.thumbnail_size = 0;
  options.landmark_model_path = landmarks;
  absl::StatusOr<std::unique_ptr<serve::Detector>> loaded = serve::Detector::Load(model, options);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", std::string(loaded.status().message()).c_str());
    return 1;
  }
  const serve::Detector& detector = **loaded;
  std::printf("preset %s (%d frames of %d px), %zu videos, %d threads, batch_size %d\n",
              preset.c_str(), detector.preset().preprocessing.frames,
              detector.preset().preprocessing.image_size, inputs.size(),
              base::GetNumThreads(), batch_size);

  // Warm-up (landmark model, allocator).
  detector.Detect(inputs.front());

  Clock::time_point start = Clock::now();
  std::vector<serve::DetectionResult> single;
  for (const std::string& path : inputs) single.push_back(detector.Detect(path));
  const double single_s = SecondsSince(start);
  int tracks = 0, undetermined = 0;
  double model_ms = 0;
  for (const auto& r : single) {
    tracks += static_cast<int>(r.tracks.size());
    undetermined += r.verdict == serve::Verdict::kUndetermined;
    model_ms += r.times.model;
  }

  serve::DetectOptions per_video;
  per_video.cross_video_batching = 0;
  start = Clock::now();
  const std::vector<serve::DetectionResult> pipelined = detector.DetectBatch(inputs, per_video);
  const double pipelined_s = SecondsSince(start);

  start = Clock::now();
  serve::DetectOptions shared;
  shared.cross_video_batching = 1;
  const std::vector<serve::DetectionResult> batched = detector.DetectBatch(inputs, shared);
  const double batched_s = SecondsSince(start);

  // The model alone on the same tracks: per video vs all batched.
  std::vector<std::vector<nn::Tensor>> video_tracks;
  for (const std::string& path : inputs) {
    absl::StatusOr<video::PreprocessedVideo> p = video::PreprocessVideo(
        path, detector.preset().preprocessing, detector.preprocess_options());
    if (!p.ok()) continue;
    video_tracks.emplace_back();
    for (const auto& t : p->tracks) {
      // Full-length tracks only: ScoreFaceTracks takes one shape per call.
      if (t.faces.shape().dim(0) == detector.preset().preprocessing.frames) {
        video_tracks.back().push_back(t.faces);
      }
    }
  }
  start = Clock::now();
  for (const auto& v : video_tracks) detector.ScoreFaceTracks(v);
  const double model_per_video_s = SecondsSince(start);
  std::vector<nn::Tensor> all;
  for (const auto& v : video_tracks) all.insert(all.end(), v.begin(), v.end());
  start = Clock::now();
  detector.ScoreFaceTracks(all);
  const double model_batched_s = SecondsSince(start);

  const size_t n = inputs.size();
  std::printf("%d face tracks, %d undetermined; Detect's model time %.0f ms in all\n", tracks,
              undetermined, model_ms);
  std::printf("Detect, one video at a time:        %7.3f s  (%.3f s/video)\n", single_s,
              single_s / n);
  std::printf("DetectBatch, one video per Forward: %7.3f s  (%.3f s/video, %.2fx)\n",
              pipelined_s, pipelined_s / n, single_s / pipelined_s);
  std::printf("DetectBatch, cross-video batches:   %7.3f s  (%.3f s/video, %.2fx)\n", batched_s,
              batched_s / n, single_s / batched_s);
  std::printf("model only, per video / batched:    %7.3f s / %.3f s (%.2fx)\n",
              model_per_video_s, model_batched_s, model_per_video_s / model_batched_s);
  const bool same = SameProbabilities(single, pipelined) && SameProbabilities(single, batched);
  std::printf("probabilities identical: %s\n", same ? "yes" : "NO");
  return same ? 0 : 1;
}
