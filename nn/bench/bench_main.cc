// //nn:bench — this project against PyTorch on the same machine, in the same run, with
// the same thread count (../shared/docs/PERF_NOTES.md says how to be fair):
//   resnext_infer_b16   resnext50_32x4d forward, 16 frames of 3x224x224 (eval)
//   resnext_infer_b1    the same, one frame at a time
//   detector_infer      the `default` detector on one 16-frame video at 224 px
//   detector_train      one forward + backward + Adam step of the `default` detector on
//                       2 videos x 16 frames at 112 px
//   detector_train_224  the same step on 1 video x 16 frames at 224 px
// Every (configuration, implementation) runs in its own process, so its peak resident
// memory is its own; times are medians of --repeats runs after one warm-up.
// First the machine: CPU model, AVX2/FMA/AVX-512F, and its practical FP32 peak measured
// with an FMA loop (machine_peak.h) on 1 and --threads threads. Each row then says its
// GFLOP/s (model_flops.h: multiply-adds counted from the model's options; a training step
// counted as 3x its forward) and % of that peak, and one JSON line per row (and one for
// the machine) follows the table, for comparing commits (--json_out=FILE also writes them).
//   bazel run -c opt //nn:bench -- --threads=2 --repeats=5 [--configs=a,b] [--pytorch=false]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/thread_pool.h"
#include "nlohmann/json.hpp"
#include "nn/bench/machine_peak.h"
#include "nn/bench/model_flops.h"
#include "nn/cpu/gemm.h"
#include "nn/models/presets.h"
#include "nn/models/resnext.h"
#include "nn/ops/loss.h"
#include "nn/optim/adam.h"
#include "nn/testing/gradient_check.h"

ABSL_FLAG(int, threads, 2, "threads for both implementations");
ABSL_FLAG(int, repeats, 5, "timed runs per configuration (median reported)");
ABSL_FLAG(std::string, configs,
          "resnext_infer_b16,resnext_infer_b1,detector_infer,detector_train,detector_train_224",
          "comma-separated configurations");
ABSL_FLAG(std::string, json_out, "", "also write the JSON lines to this file");
ABSL_FLAG(bool, pytorch, true, "also run PyTorch (Debian's python3-torch)");
ABSL_FLAG(std::string, python, "/usr/bin/python3", "Python with torch");
ABSL_FLAG(std::string, child, "", "internal: run one configuration of ours and print JSON");

namespace nn {
namespace {

double MedianSeconds(const std::function<void()>& fn, int repeats) {
  fn();  // warm-up: first-touch page faults, folded weights, thread start-up
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

double PeakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

// Runs one configuration of ours in this process and prints its JSON line.
int RunChild(const std::string& config, int repeats) {
  double seconds = 0;
  if (config.rfind("resnext_infer_b", 0) == 0) {
    const int batch = std::stoi(config.substr(std::string("resnext_infer_b").size()));
    ResNeXtOptions options;
    options.num_classes = 1000;
    ResNeXt net(options);
    net.Eval();
    const Tensor x = testing::RandomNormal({batch, 3, 224, 224}, 1);
    seconds = MedianSeconds([&] { net.Forward(x); }, repeats);
  } else if (config == "detector_infer") {
    Detector detector(GetPreset("default")->detector);
    detector.Eval();
    const Tensor x = testing::RandomNormal({1, 16, 3, 224, 224}, 1);
    seconds = MedianSeconds([&] { detector.Forward(x); }, repeats);
  } else if (config == "detector_train" || config == "detector_train_224") {
    const bool large = config == "detector_train_224";
    const int64_t batch = large ? 1 : 2, side = large ? 224 : 112;
    Detector detector(GetPreset("default")->detector);
    detector.Train();
    optim::AdamOptions adam;
    adam.lr = 1e-4;
    optim::Adam optimizer(detector.NamedParameters(), adam);
    const Tensor x = testing::RandomNormal({batch, 16, 3, side, side}, 1);
    const Tensor targets =
        large ? Tensor::FromVector({1, 1}, {1}) : Tensor::FromVector({2, 1}, {1, 0});
    seconds = MedianSeconds(
        [&] {
          optimizer.ZeroGrad();
          const DetectorOutput out = detector.Forward(x);
          Tensor dlogits = Tensor::Zeros({batch, 1});
          BCEWithLogitsBackward(out.video_logits, targets, nullptr, 1.0f, &dlogits);
          detector.Backward(dlogits);
          optimizer.Step();
        },
        repeats);
  } else {
    std::fprintf(stderr, "unknown configuration %s\n", config.c_str());
    return 2;
  }
  std::printf(
      "%s\n",
      nlohmann::json{
          {"config", config}, {"mode", "ours"}, {"seconds", seconds}, {"peak_rss_mb", PeakRssMb()}}
          .dump()
          .c_str());
  return 0;
}

// Runs `argv` and returns the last line it printed on stdout parsed as JSON (null on failure).
nlohmann::json RunProcess(const std::vector<std::string>& argv) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return nullptr;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    std::perror(args[0]);
    _exit(127);
  }
  close(pipe_fds[1]);
  std::string output;
  char buffer[4096];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof(buffer))) > 0) output.append(buffer, n);
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return nullptr;
  const std::vector<std::string> lines = absl::StrSplit(output, '\n', absl::SkipEmpty());
  if (lines.empty()) return nullptr;
  return nlohmann::json::parse(lines.back(), nullptr, /*allow_exceptions=*/false);
}

// The configuration's figure in its unit: frames/s, ms per video or s per step.
std::pair<double, std::string> Rate(const std::string& config, double seconds) {
  if (config == "resnext_infer_b16") return {16 / seconds, "frames/s"};
  if (config == "resnext_infer_b1") return {1 / seconds, "frames/s"};
  if (config == "detector_infer") return {seconds * 1000, "ms/video"};
  return {seconds, "s/step"};
}

// FLOPs of one timed run (2 per multiply-add; a training step as 3 forwards: forward,
// input gradients, weight gradients). 0 for an unknown configuration.
double Flops(const std::string& config) {
  ResNeXtOptions resnext;
  resnext.num_classes = 1000;
  const DetectorOptions detector = GetPreset("default")->detector;
  if (config == "resnext_infer_b16") return 2.0 * 16 * ResNeXtForwardMacs(resnext, 224);
  if (config == "resnext_infer_b1") return 2.0 * ResNeXtForwardMacs(resnext, 224);
  if (config == "detector_infer") return 2.0 * DetectorForwardMacs(detector, 16, 224);
  if (config == "detector_train") return 3 * 2.0 * 2 * DetectorForwardMacs(detector, 16, 112);
  if (config == "detector_train_224") return 3 * 2.0 * DetectorForwardMacs(detector, 16, 224);
  return 0;
}

}  // namespace
}  // namespace nn

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int threads = absl::GetFlag(FLAGS_threads);
  const int repeats = absl::GetFlag(FLAGS_repeats);
  base::SetNumThreads(threads);
  if (!absl::GetFlag(FLAGS_child).empty()) {
    return nn::RunChild(absl::GetFlag(FLAGS_child), repeats);
  }
  char self[4096];
  const ssize_t length = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (length <= 0) return 1;
  self[length] = '\0';
  // The PyTorch script is a data dependency, next to this binary's runfiles.
  const std::string script = "nn/bench/pytorch_bench.py";

  // The machine first, in this process, before any configuration runs.
  const nn::CpuFeatures cpu = nn::DetectCpuFeatures();
  const nn::FmaPeak one = nn::MeasureFmaPeak(cpu, 1);
  const nn::FmaPeak all = nn::MeasureFmaPeak(cpu, threads);
  auto yes = [](bool b) { return b ? "yes" : "no"; };
  std::printf("CPU: %s; AVX2 %s, FMA %s, AVX-512F %s; our GEMM runs %s kernels\n",
              cpu.model.c_str(), yes(cpu.avx2), yes(cpu.fma), yes(cpu.avx512f),
              nn::cpu::SgemmIsa());
  std::printf(
      "FP32 FMA peak (GFLOP/s, 256-bit / 512-bit): 1 thread %.1f / %.1f, %d threads %.1f / %.1f;"
      " %% of peak below is of %.1f\n",
      one.avx2_gflops, one.avx512_gflops, threads, all.avx2_gflops, all.avx512_gflops,
      all.best());
  std::vector<nlohmann::json> json_lines = {
      {{"machine", cpu.model},
       {"avx2", cpu.avx2},
       {"fma", cpu.fma},
       {"avx512f", cpu.avx512f},
       {"gemm_isa", nn::cpu::SgemmIsa()},
       {"threads", threads},
       {"peak_gflops_1_thread", one.best()},
       {"peak_gflops", all.best()},
       {"peak_gflops_avx2", all.avx2_gflops},
       {"peak_gflops_avx512", all.avx512_gflops}}};

  std::printf("threads %d, median of %d runs; each row its own process\n", threads, repeats);
  std::printf("%-19s %-15s %10s %18s %8s %7s %12s\n", "config", "impl", "seconds", "rate",
              "GFLOP/s", "% peak", "peak RSS MB");
  bool ok = true;
  for (const std::string& config :
       std::vector<std::string>(absl::StrSplit(absl::GetFlag(FLAGS_configs), ','))) {
    std::vector<std::pair<std::string, std::vector<std::string>>> runs = {
        {"ours",
         {self, "--child=" + config, absl::StrCat("--threads=", threads),
          absl::StrCat("--repeats=", repeats)}}};
    if (absl::GetFlag(FLAGS_pytorch)) {
      for (std::string mode : {"eager", "onednn"}) {
        if (config.rfind("detector_train", 0) == 0 && mode == "onednn") continue;
        runs.push_back(
            {"pytorch-" + mode,
             {absl::GetFlag(FLAGS_python), script, "--config=" + config, "--mode=" + mode,
              absl::StrCat("--threads=", threads), absl::StrCat("--repeats=", repeats)}});
      }
    }
    const double flops = nn::Flops(config);
    double ours = 0;
    for (const auto& [name, argv_run] : runs) {
      const nlohmann::json result = nn::RunProcess(argv_run);
      if (result.is_null() || !result.contains("seconds")) {
        std::printf("%-19s %-15s %10s\n", config.c_str(), name.c_str(), "FAILED");
        ok = false;
        continue;
      }
      const double seconds = result["seconds"].get<double>();
      if (name == "ours") ours = seconds;
      const auto [rate, unit] = nn::Rate(config, seconds);
      const double gflops = flops > 0 ? flops / seconds / 1e9 : 0;
      const double percent = all.best() > 0 ? 100 * gflops / all.best() : 0;
      const double rss = result["peak_rss_mb"].get<double>();
      std::string note;
      if (name != "ours" && ours > 0)
        note = absl::StrCat("  ours is ", seconds / ours, "x its speed");
      if (result.contains("blas"))
        note += absl::StrCat("  [BLAS ", result["blas"].get<std::string>(), "]");
      std::printf("%-19s %-15s %10.4f %9.3f %-8s %8.1f %6.1f%% %12.0f%s\n", config.c_str(),
                  name.c_str(), seconds, rate, unit.c_str(), gflops, percent, rss, note.c_str());
      std::fflush(stdout);
      nlohmann::json line = {{"config", config},   {"impl", name},       {"seconds", seconds},
                             {"rate", rate},       {"unit", unit},       {"gflops", gflops},
                             {"peak_percent", percent}, {"peak_rss_mb", rss}, {"threads", threads},
                             {"repeats", repeats}};
      if (name != "ours" && ours > 0) line["ours_speedup"] = seconds / ours;
      json_lines.push_back(std::move(line));
    }
  }
  std::string jsonl;
  for (const nlohmann::json& line : json_lines) jsonl += line.dump() + "\n";
  std::printf("%s", jsonl.c_str());
  if (const std::string path = absl::GetFlag(FLAGS_json_out); !path.empty()) {
    FILE* out = std::fopen(path.c_str(), "w");
    if (out == nullptr || std::fputs(jsonl.c_str(), out) < 0 || std::fclose(out) != 0) {
      std::fprintf(stderr, "%s: cannot write the JSON lines\n", path.c_str());
      return 1;
    }
  }
  return ok ? 0 : 1;
}
