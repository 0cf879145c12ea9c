// Data-parallel training throughput (not a test), run under mpirun with 1, 2, ... ranks:
// steps/s and clips/s of full training steps (forward, BCE, backward, bucketed gradient
// allreduce, Adam) on random clips, the allreduce's share of a step, and the allreduce's
// own speed on the gradient sizes of the `default` and `small` presets (algorithm bandwidth
// bytes/s and ring "bus" bandwidth 2(N-1)/N x bytes/s, as nccl-tests reports them).
//
//   mpirun -np 1 bazel-bin/train/distributed/ddp_benchmark --preset small
//   mpirun -np 2 --bind-to none bazel-bin/train/distributed/ddp_benchmark --preset small
// (as root: OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1). Clips/s of N ranks
// over N x clips/s of one is the scaling efficiency.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/thread_pool.h"
#include "nn/models/detector.h"
#include "nn/models/presets.h"
#include "nn/ops/loss.h"
#include "nn/optim/adam.h"
#include "nn/testing/tensor_matchers.h"
#include "serve/cli/flags.h"
#include "train/distributed/communicator.h"
#include "train/distributed/gradient_sync.h"

namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The slowest rank's value (a step ends when every rank has finished it).
double Max(train::distributed::Communicator& comm, double value) {
  std::vector<double> all(comm.size(), 0);
  all[comm.rank()] = value;
  comm.AllreduceSum(all.data(), comm.size());
  return *std::max_element(all.begin(), all.end());
}

int64_t ParameterElements(const std::string& preset_name) {
  absl::StatusOr<nn::ModelPreset> preset = nn::GetPreset(preset_name);
  NN_CHECK(preset.ok()) << preset.status();
  nn::Detector model(preset->detector);
  return model.NumParameterElements();
}

}  // namespace

int main(int argc, char** argv) {
  train::distributed::Communicator& comm = train::distributed::WorldCommunicator();
  const bool root = comm.rank() == 0;
  std::string preset_name = "small";
  int image_size = 0, batch_size = 2, sequence_length = 4, steps = 5, warmup = 1, threads = 0;
  int repeats = 5;
  double bucket_mb = 25;
  serve::cli::FlagSet flags;
  flags.String("preset", &preset_name, "model preset of the training steps");
  flags.Int("image_size", &image_size, "crop size in pixels (0 = the preset's)");
  flags.Int("batch_size", &batch_size, "clips per step per rank");
  flags.Int("sequence_length", &sequence_length, "frames per clip");
  flags.Int("steps", &steps, "timed steps");
  flags.Int("warmup", &warmup, "untimed steps first");
  flags.Int("threads", &threads, "CPU threads per rank (0 = the machine's cores / local ranks)");
  flags.Int("repeats", &repeats, "timed allreduces per gradient size");
  flags.Double("bucket_mb", &bucket_mb, "allreduce bucket size in MiB");
  std::vector<std::string> args(argv + 1, argv + argc);
  if (absl::Status s = flags.Parse(args, nullptr); !s.ok()) {
    if (root)
      std::fprintf(stderr, "%s\n%s", std::string(s.message()).c_str(), flags.Help().c_str());
    return 2;
  }
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  base::SetNumThreads(threads > 0 ? threads : std::max(1, cores / comm.local_size()));
  absl::StatusOr<nn::ModelPreset> preset = nn::GetPreset(preset_name);
  if (!preset.ok()) {
    if (root) std::fprintf(stderr, "%s\n", std::string(preset.status().message()).c_str());
    return 2;
  }
  if (image_size > 0) preset->preprocessing.image_size = image_size;
  const int size = preset->preprocessing.image_size;
  const int64_t bucket_bytes = static_cast<int64_t>(bucket_mb * 1048576);
  if (root) {
    std::printf("%s; %d rank(s), %d on this machine, %d thread(s) each (%d cores)\n",
                comm.Description().c_str(), comm.size(), comm.local_size(), base::GetNumThreads(),
                cores);
  }

  // Training steps.
  nn::Detector model(preset->detector);
  model.Train();
  train::distributed::BroadcastModuleState(comm, model);
  nn::optim::AdamOptions adam;
  adam.lr = 1e-4;
  nn::optim::Adam optimizer(model.NamedParameters(), adam);
  std::vector<nn::Parameter*> parameters = model.Parameters();
  train::distributed::GradientAverager averager(&comm, bucket_bytes);
  const nn::Tensor input = nn::testing::RandomNormal({batch_size, sequence_length, 3, size, size},
                                                     static_cast<uint32_t>(1 + comm.rank()));
  std::vector<float> label_values(batch_size);
  for (int b = 0; b < batch_size; ++b) label_values[b] = static_cast<float>(b % 2);
  const nn::Tensor labels = nn::Tensor::FromVector({batch_size, 1}, label_values);
  double step_total = 0, reduce_total = 0;
  for (int step = 0; step < warmup + steps; ++step) {
    comm.Barrier();
    const double start = Now();
    const nn::DetectorOutput out = model.Forward(input);
    nn::Tensor grad = nn::Tensor::Zeros(out.video_logits.shape());
    nn::BCEWithLogitsForward(out.video_logits, labels, nullptr);
    nn::BCEWithLogitsBackward(out.video_logits, labels, nullptr, 1.0f, &grad);
    model.Backward(grad);
    const double reduce_start = Now();
    averager.Average(parameters);
    const double reduce = Now() - reduce_start;
    optimizer.Step();
    model.ZeroGrad();
    const double seconds = Max(comm, Now() - start);
    if (step >= warmup) {
      step_total += seconds;
      reduce_total += Max(comm, reduce);
    }
  }
  const int64_t elements = model.NumParameterElements();
  if (root) {
    const double step_seconds = step_total / steps;
    std::printf(
        "training: preset %s (%lld parameters, %.1f MiB of gradients), %d clip(s) x %d frames "
        "of %d px per rank\n",
        preset_name.c_str(), static_cast<long long>(elements), elements * 4 / 1048576.0, batch_size,
        sequence_length, size);
    std::printf(
        "RESULT ranks=%d steps_per_s=%.3f clips_per_s=%.3f step_s=%.3f allreduce_s=%.4f "
        "allreduce_share=%.1f%%\n",
        comm.size(), 1 / step_seconds, comm.size() * batch_size / step_seconds, step_seconds,
        reduce_total / steps, 100 * reduce_total / step_total);
  }

  // The allreduce alone, on the gradient sizes of the presets.
  if (comm.size() > 1) {
    for (const std::string name : {"small", "default"}) {
      const int64_t n = ParameterElements(name);
      std::vector<float> buffer(n, 1.0f);
      double total = 0;
      for (int r = 0; r < repeats + 1; ++r) {
        comm.Barrier();
        const double start = Now();
        for (int64_t begin = 0; begin < n; begin += bucket_bytes / 4) {
          comm.AllreduceSum(buffer.data() + begin, std::min<int64_t>(bucket_bytes / 4, n - begin));
        }
        const double seconds = Max(comm, Now() - start);
        if (r > 0) total += seconds;
      }
      if (root) {
        const double seconds = total / repeats, mb = n * 4 / 1e6;
        const double ring = 2.0 * (comm.size() - 1) / comm.size();
        std::printf(
            "allreduce: preset %s, %.1f MB of gradients in %.0f MiB buckets: %.4f s, algorithm "
            "%.0f MB/s, bus (ring 2(N-1)/N) %.0f MB/s\n",
            name.c_str(), mb, bucket_mb, seconds, mb / seconds, ring * mb / seconds);
      }
    }
  }
  return 0;
}
