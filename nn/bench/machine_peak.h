// What this CPU can do, measured in the benchmark's own run: its model name and vector
// features, and its practical FP32 peak, the GFLOP/s of a register-resident FMA loop (no
// memory traffic) on 1 and on N threads, with 256-bit (AVX2+FMA) and, where present,
// 512-bit (AVX-512F) vectors. Each figure is the best of 3 runs of ~0.15 s per thread.
#ifndef NN_BENCH_MACHINE_PEAK_H_
#define NN_BENCH_MACHINE_PEAK_H_

#include <string>

namespace nn {

struct CpuFeatures {
  std::string model;  // /proc/cpuinfo "model name"; "unknown" elsewhere
  bool avx2 = false, fma = false, avx512f = false;
};
CpuFeatures DetectCpuFeatures();

struct FmaPeak {
  int threads = 1;
  double avx2_gflops = 0;    // 0 when the CPU lacks AVX2+FMA
  double avx512_gflops = 0;  // 0 when the CPU lacks AVX-512F
  double best() const { return avx2_gflops > avx512_gflops ? avx2_gflops : avx512_gflops; }
};
// The FMA loop on `threads` threads at once (std::threads, one loop each).
FmaPeak MeasureFmaPeak(const CpuFeatures& cpu, int threads);

}  // namespace nn

#endif  // NN_BENCH_MACHINE_PEAK_H_
