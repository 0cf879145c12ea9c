#include "nn/bench/machine_peak.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>
#include <vector>

namespace nn {
namespace {

// 12 independent accumulators hide the FMA latency (4 cycles x 2 pipes needs >= 8).
// Returns the FLOPs done (2 per lane per FMA); `sink` keeps the result alive.
__attribute__((target("avx2,fma"))) double FmaLoop256(int64_t iterations, float* sink) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(0.001f * i);
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iterations; ++it) {
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  }
  __m256 sum = acc[0];
  for (int i = 1; i < 12; ++i) sum = _mm256_add_ps(sum, acc[i]);
  float lanes[8];
  _mm256_storeu_ps(lanes, sum);
  *sink += lanes[0];
  return 2.0 * 8 * 12 * static_cast<double>(iterations);
}

// GCC 12's _mm512_set1_ps starts from _mm512_undefined_ps, which -Wuninitialized flags.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
__attribute__((target("avx512f"))) double FmaLoop512(int64_t iterations, float* sink) {
  __m512 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(0.001f * i);
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < iterations; ++it) {
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  }
  __m512 sum = acc[0];  // every accumulator feeds the result, or the compiler drops it
  for (int i = 1; i < 12; ++i) sum = _mm512_add_ps(sum, acc[i]);
  *sink += _mm512_reduce_add_ps(sum);
  return 2.0 * 16 * 12 * static_cast<double>(iterations);
}
#pragma GCC diagnostic pop

// GFLOP/s of `loop` on `threads` threads started together; best of 3.
double Measure(double (*loop)(int64_t, float*), int threads) {
  // ~0.15 s per run at ~50 GFLOP/s per thread for the 256-bit loop.
  const int64_t iterations = loop == &FmaLoop256 ? 40'000'000 : 20'000'000;
  double best = 0;
  for (int run = 0; run < 3; ++run) {
    std::vector<float> sinks(threads * 16, 0.0f);
    std::vector<double> flops(threads, 0.0);
    std::atomic<int> ready{0};
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        ready.fetch_add(1);
        while (ready.load() < threads) {
        }
        flops[t] = loop(iterations, &sinks[t * 16]);
      });
    }
    for (std::thread& th : pool) th.join();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double total = 0;
    for (double f : flops) total += f;
    best = std::max(best, total / seconds / 1e9);
  }
  return best;
}

}  // namespace

CpuFeatures DetectCpuFeatures() {
  CpuFeatures cpu;
  cpu.model = "unknown";
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);) {
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
      cpu.model = line.substr(line.find(':') + 2);
      break;
    }
  }
  __builtin_cpu_init();
  cpu.avx2 = __builtin_cpu_supports("avx2");
  cpu.fma = __builtin_cpu_supports("fma");
  cpu.avx512f = __builtin_cpu_supports("avx512f");
  return cpu;
}

FmaPeak MeasureFmaPeak(const CpuFeatures& cpu, int threads) {
  FmaPeak peak;
  peak.threads = threads;
  if (cpu.avx2 && cpu.fma) peak.avx2_gflops = Measure(&FmaLoop256, threads);
  if (cpu.avx512f) peak.avx512_gflops = Measure(&FmaLoop512, threads);
  return peak;
}

}  // namespace nn
