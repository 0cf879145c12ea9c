// //nn/bench:gpu_bench — the GPU benchmark (issue 17): ResNeXt-50 32x4d forward and training
// step (cross-entropy over 1000 classes, backward, Adam) at batch 32 and 128 on 224 px
// images, and the `default` detector's training step (4 videos x 16 frames at 224 px, BCE,
// Adam), all FP32 (no TF32: cuBLAS pedantic math, cuDNN FMA math), each the median of
// --repeats after one warm-up with the device synchronized around it. Prints images/s,
// achieved TFLOP/s (model_flops.h; a training step counted as 3x its forward) against the
// GPU's FP32 peak (SMs x 128 lanes x 2 x clock), the caching allocator's peak memory, and
// one JSON line per row (also to --json_out). tools/gpu_check.sh runs it.
//   gpu_bench [--repeats=5] [--configs=resnext_infer_b32,...] [--json_out=FILE]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "nn/bench/model_flops.h"
#include "nn/cuda/runtime.h"
#include "nn/models/presets.h"
#include "nn/models/resnext.h"
#include "nn/ops/loss.h"
#include "nn/optim/adam.h"
#include "nn/testing/gradient_check.h"

ABSL_FLAG(int, repeats, 5, "timed runs per configuration (median reported)");
ABSL_FLAG(std::string, configs,
          "resnext_infer_b32,resnext_infer_b128,resnext_train_b32,resnext_train_b128,"
          "detector_train",
          "comma-separated configurations");
ABSL_FLAG(std::string, json_out, "", "also write the JSON lines to this file");

namespace nn {
namespace {

const Device kGpu = Device::CUDA(0);

double MedianSeconds(const std::function<void()>& fn, int repeats) {
  fn();
  cuda::Synchronize(kGpu.index);
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    cuda::Synchronize(kGpu.index);
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

struct Row {
  double seconds = 0;
  int64_t images = 0;  // per timed run
  double flops = 0;    // per timed run
};

Row Run(const std::string& config, int repeats) {
  ResNeXtOptions resnext;
  resnext.num_classes = 1000;
  if (config.rfind("resnext_infer_b", 0) == 0 || config.rfind("resnext_train_b", 0) == 0) {
    const bool train = config.rfind("resnext_train_b", 0) == 0;
    const int batch = std::stoi(config.substr(std::string("resnext_infer_b").size()));
    ResNeXt net(resnext);
    net.To(kGpu);
    const Tensor x = testing::RandomNormal({batch, 3, 224, 224}, 1).To(kGpu);
    const double forward_flops = 2.0 * ResNeXtForwardMacs(resnext, 224) * batch;
    if (!train) {
      net.Eval();
      return {MedianSeconds([&] { net.Forward(x); }, repeats), batch, forward_flops};
    }
    net.Train();
    optim::Adam adam(net.NamedParameters(), {.lr = 1e-4});
    std::vector<int64_t> targets(batch);
    for (int i = 0; i < batch; ++i) targets[i] = (i * 37) % 1000;
    const double seconds = MedianSeconds(
        [&] {
          adam.ZeroGrad();
          const Tensor logits = net.Forward(x);
          Tensor dlogits = Tensor::Zeros(logits.shape(), DType::kFloat32, kGpu);
          CrossEntropyBackward(logits, targets, {}, 1.0f, &dlogits);
          net.Backward(dlogits);
          adam.Step();
        },
        repeats);
    return {seconds, batch, 3 * forward_flops};
  }
  if (config == "detector_train") {
    const DetectorOptions options = GetPreset("default")->detector;
    Detector detector(options);
    detector.To(kGpu);
    detector.Train();
    optim::Adam adam(detector.NamedParameters(), {.lr = 1e-4});
    const int videos = 4, frames = 16;
    const Tensor x = testing::RandomNormal({videos, frames, 3, 224, 224}, 1).To(kGpu);
    const Tensor targets = Tensor::FromVector({videos, 1}, {1, 0, 1, 0}).To(kGpu);
    const double seconds = MedianSeconds(
        [&] {
          adam.ZeroGrad();
          const DetectorOutput out = detector.Forward(x);
          Tensor dlogits = Tensor::Zeros({videos, 1}, DType::kFloat32, kGpu);
          BCEWithLogitsBackward(out.video_logits, targets, nullptr, 1.0f, &dlogits);
          detector.Backward(dlogits);
          adam.Step();
        },
        repeats);
    return {seconds, videos * frames, 3.0 * DetectorForwardMacs(options, frames, 224) * 2 * videos};
  }
  std::fprintf(stderr, "gpu_bench: unknown configuration %s\n", config.c_str());
  std::exit(2);
}

int Main() {
  const cuda::DeviceQuery query = cuda::QueryDevices();
  if (query.count == 0) {
    std::fprintf(stderr, "gpu_bench: no usable CUDA GPU (%s)\n", query.error.c_str());
    return 1;
  }
  const cuda::DeviceProperties gpu = cuda::QueryProperties(kGpu.index);
  const double peak = gpu.Fp32PeakFlops();
  std::printf("GPU: %s, %d SMs, sm_%d, %.1f GiB, clock %.0f MHz, FP32 peak %.1f TFLOP/s\n",
              gpu.name.c_str(), gpu.multiprocessors, gpu.compute_capability,
              gpu.memory_bytes / double(1 << 30), gpu.clock_khz / 1e3, peak / 1e12);
  std::vector<nlohmann::json> lines = {{{"gpu", gpu.name},
                                        {"multiprocessors", gpu.multiprocessors},
                                        {"compute_capability", gpu.compute_capability},
                                        {"clock_khz", gpu.clock_khz},
                                        {"fp32_peak_tflops", peak / 1e12},
                                        {"cuda_runtime", cuda::RuntimeVersion()}}};
  std::printf(
      "| configuration | images/s | ms per run | TFLOP/s | %% of FP32 peak "
      "|\n|---|---|---|---|---|\n");
  for (const std::string& config :
       std::vector<std::string>(absl::StrSplit(absl::GetFlag(FLAGS_configs), ','))) {
    const Row row = Run(config, absl::GetFlag(FLAGS_repeats));
    const double tflops = row.flops / row.seconds / 1e12;
    std::printf("| %s | %.1f | %.1f | %.2f | %.1f%% |\n", config.c_str(), row.images / row.seconds,
                1e3 * row.seconds, tflops, peak > 0 ? 100 * tflops * 1e12 / peak : 0.0);
    std::fflush(stdout);
    const cuda::AllocatorStats memory = cuda::MemoryStats(kGpu.index);
    lines.push_back({{"config", config},
                     {"seconds", row.seconds},
                     {"images_per_second", row.images / row.seconds},
                     {"tflops", tflops},
                     {"peak_in_use_bytes", memory.peak_in_use},
                     {"peak_reserved_bytes", memory.peak_reserved}});
  }
  std::printf("GPU memory: %s\n", cuda::MemoryStats(kGpu.index).ToString().c_str());
  std::ofstream json_out;
  if (!absl::GetFlag(FLAGS_json_out).empty()) json_out.open(absl::GetFlag(FLAGS_json_out));
  for (const nlohmann::json& line : lines) {
    std::printf("%s\n", line.dump().c_str());
    if (json_out.is_open()) json_out << line.dump() << "\n";
  }
  return 0;
}

}  // namespace
}  // namespace nn

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return nn::Main();
}
