// Training throughput of the detector (not a test): frames/s of full training steps
// (forward, BCE-with-logits, backward, Adam) and the share of step time spent waiting for
// data. `--data synthetic` feeds random clips (the model alone, comparable with
// tools/pytorch_ref/train_throughput.py: same model, batch, input, optimizer, threads);
// `--data fixtures` feeds the real loader (face store of train/testdata, the preset's
// augmentations, prefetching threads), so the wait share is the pipeline's.
//
//   bazel run -c opt //train:train_benchmark -- --image_size 112 --steps 4 --threads 2
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/thread_pool.h"
#include "nn/models/detector.h"
#include "nn/models/presets.h"
#include "nn/ops/loss.h"
#include "nn/optim/adam.h"
#include "nn/testing/tensor_matchers.h"
#include "serve/cli/flags.h"
#include "train/data/dataset.h"
#include "train/data/face_store.h"
#include "train/data/loader.h"

namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string preset_name = "default", data = "synthetic",
              manifest = "train/testdata/manifest.json";
  std::string cache_dir = "/tmp/train_benchmark_faces";
  int image_size = 0, batch_size = 8, sequence_length = 16, steps = 4, warmup = 1, threads = 0;
  int workers = 2;
  serve::cli::FlagSet flags;
  flags.String("preset", &preset_name, "model preset");
  flags.Int("image_size", &image_size, "crop size in pixels (0 = the preset's)");
  flags.Int("batch_size", &batch_size, "clips per step");
  flags.Int("sequence_length", &sequence_length, "frames per clip");
  flags.Int("steps", &steps, "timed steps");
  flags.Int("warmup", &warmup, "untimed steps first");
  flags.Int("threads", &threads, "CPU threads (0 = every core)");
  flags.Int("workers", &workers, "loader threads (--data fixtures)");
  flags.String("data", &data, "synthetic (random clips) or fixtures (the loader on a manifest)");
  flags.Path("manifest", &manifest, "with --data fixtures");
  flags.Path("cache_dir", &cache_dir, "face cache for --data fixtures");
  std::vector<std::string> args(argv + 1, argv + argc);
  if (absl::Status s = flags.Parse(args, nullptr); !s.ok()) {
    std::fprintf(stderr, "%s\n%s", std::string(s.message()).c_str(), flags.Help().c_str());
    return 2;
  }
  if (threads > 0) base::SetNumThreads(threads);
  absl::StatusOr<nn::ModelPreset> preset = nn::GetPreset(preset_name);
  if (!preset.ok()) {
    std::fprintf(stderr, "%s\n", std::string(preset.status().message()).c_str());
    return 2;
  }
  if (image_size > 0) preset->preprocessing.image_size = image_size;
  preset->preprocessing.frames = sequence_length;
  const int size = preset->preprocessing.image_size;

  nn::Detector model(preset->detector);
  model.Train();
  nn::optim::AdamOptions adam;
  adam.lr = 1e-4;
  adam.weight_decay = 1e-5;
  nn::optim::Adam optimizer(model.NamedParameters(), adam);

  std::unique_ptr<train::data::FaceStore> store;
  std::unique_ptr<train::data::BatchLoader> loader;
  if (data == "fixtures") {
    absl::StatusOr<std::vector<train::data::VideoItem>> items =
        train::data::ItemsFromManifest(manifest);
    if (!items.ok()) {
      std::fprintf(stderr, "%s\n", std::string(items.status().message()).c_str());
      return 1;
    }
    train::data::FaceStoreOptions options;
    options.cache_dir = cache_dir;
    options.frames_per_video = 2 * sequence_length;
    absl::StatusOr<train::data::FaceStore> built =
        train::data::FaceStore::Build(*items, *preset, options);
    if (!built.ok()) {
      std::fprintf(stderr, "%s\n", std::string(built.status().message()).c_str());
      return 1;
    }
    store = std::make_unique<train::data::FaceStore>(*std::move(built));
    std::vector<int> tracks(store->tracks().size());
    std::iota(tracks.begin(), tracks.end(), 0);
    train::data::LoaderOptions options_loader;
    options_loader.batch_size = batch_size;
    options_loader.sequence_length = sequence_length;
    options_loader.balance = train::data::ClassBalance::kOversample;
    options_loader.temporal_jitter = true;
    options_loader.augment = true;
    options_loader.augment_options = train::data::AugmentOptionsForPreset(*preset);
    options_loader.num_workers = workers;
    options_loader.preprocessing = preset->preprocessing;
    loader = std::make_unique<train::data::BatchLoader>(store.get(), tracks, options_loader);
  } else if (data != "synthetic") {
    std::fprintf(stderr, "--data: synthetic or fixtures\n");
    return 2;
  }

  const nn::Tensor synthetic =
      nn::testing::RandomNormal({batch_size, sequence_length, 3, size, size}, 1);
  std::vector<float> label_values(batch_size);
  for (int b = 0; b < batch_size; ++b) label_values[b] = b % 2;
  const nn::Tensor synthetic_labels = nn::Tensor::FromVector({batch_size, 1}, label_values);

  int64_t epoch = 0;
  if (loader) loader->StartEpoch(epoch);
  std::vector<double> step_seconds, wait_seconds;
  int64_t frames = 0;
  for (int step = 0; step < warmup + steps; ++step) {
    const double start = Now();
    double waited = 0;
    nn::Tensor input = synthetic, labels = synthetic_labels;
    if (loader) {
      std::optional<train::data::Batch> batch = loader->Next(&waited);
      if (!batch) {
        loader->StartEpoch(++epoch);
        batch = loader->Next(&waited);
      }
      input = batch->frames;
      labels = batch->labels;
    }
    const nn::DetectorOutput out = model.Forward(input);
    nn::BCEWithLogitsForward(out.video_logits, labels);
    nn::Tensor grad = nn::Tensor::Zeros(out.video_logits.shape());
    nn::BCEWithLogitsBackward(out.video_logits, labels, nullptr, 1.0f, &grad);
    model.Backward(grad);
    optimizer.Step();
    optimizer.ZeroGrad();
    const double seconds = Now() - start;
    if (step >= warmup) {
      step_seconds.push_back(seconds);
      wait_seconds.push_back(waited);
      frames += input.dim(0) * input.dim(1);
    }
    std::fprintf(stderr, "step %d%s: %.2f s (data wait %.3f s)\n", step + 1,
                 step < warmup ? " (warm-up)" : "", seconds, waited);
  }
  const double total = std::accumulate(step_seconds.begin(), step_seconds.end(), 0.0);
  const double wait = std::accumulate(wait_seconds.begin(), wait_seconds.end(), 0.0);
  std::sort(step_seconds.begin(), step_seconds.end());
  std::printf(
      "{\"preset\": \"%s\", \"image_size\": %d, \"batch_size\": %d, \"sequence_length\": %d, "
      "\"threads\": %d, \"data\": \"%s\", \"steps\": %d, \"frames_per_second\": %.3f, "
      "\"median_step_seconds\": %.3f, \"data_wait_share\": %.4f}\n",
      preset->name.c_str(), size, batch_size, sequence_length, base::GetNumThreads(), data.c_str(),
      steps, frames / total, step_seconds[step_seconds.size() / 2], wait / total);
  return 0;
}
