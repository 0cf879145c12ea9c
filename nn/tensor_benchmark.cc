// Microbenchmarks of Tensor allocation and copies (memory bandwidth of Clone()).
//   bazel run //nn:tensor_benchmark
#include "benchmark/benchmark.h"
#include "nn/tensor.h"

namespace nn {
namespace {

void BM_EmptyAlloc(benchmark::State& state) {
  const int64_t n = state.range(0);
  for (auto _ : state) benchmark::DoNotOptimize(Tensor::Empty({n}).raw_data());
}
BENCHMARK(BM_EmptyAlloc)->Arg(1 << 10)->Arg(1 << 22);

void BM_Clone(benchmark::State& state) {
  const Tensor t = Tensor::Full({state.range(0)}, 1.0f);
  for (auto _ : state) benchmark::DoNotOptimize(t.Clone().raw_data());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(t.bytes()));
}
BENCHMARK(BM_Clone)->Arg(1 << 16)->Arg(16 * 3 * 224 * 224);

}  // namespace
}  // namespace nn
