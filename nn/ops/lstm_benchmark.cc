// Microbenchmarks of the LSTM op at the detector's shapes: the default head (2-layer
// bidirectional, 2048 -> 256, T = 16 frames) and the paper preset (1 layer, 2048 -> 2048, no
// bias, walking the batch axis: T = videos, B = frames), inference and forward + backward.
//   bazel run -c opt //nn/ops:lstm_benchmark [-- --benchmark_filter=Default]
#include "benchmark/benchmark.h"
#include "nn/ops/lstm.h"
#include "nn/testing/gradient_check.h"

namespace nn {
namespace {

const LstmOptions kDefault{
    .input_size = 2048, .hidden_size = 256, .num_layers = 2, .bidirectional = true};
const LstmOptions kPaper{.input_size = 2048, .hidden_size = 2048, .bias = false};

// state.range(0) = T, state.range(1) = B, state.range(2) = 1 for forward + backward.
void Run(benchmark::State& state, const LstmOptions& o) {
  const int64_t T = state.range(0), B = state.range(1);
  const bool backward = state.range(2) != 0;
  std::vector<LstmDirectionWeights> weights = LstmZeroWeights(o);
  uint32_t seed = 1;
  for (Tensor* p : LstmParameters(o, &weights)) {
    *p = testing::RandomUniform(p->shape(), seed++, -0.05f, 0.05f);
  }
  const Tensor input = testing::RandomNormal({T, B, o.input_size}, 100);
  Tensor output = Tensor::Empty({T, B, o.num_directions() * o.hidden_size});
  const Tensor output_grad = testing::RandomNormal(output.shape(), 101);
  Tensor input_grad = Tensor::Zeros(input.shape());
  std::vector<LstmDirectionWeights> weight_grads = LstmZeroWeights(o);
  LstmCache cache;
  for (auto _ : state) {
    LstmForward(o, weights, input, backward, 7, &output, nullptr, nullptr,
                backward ? &cache : nullptr);
    if (backward) LstmBackward(o, weights, cache, output_grad, &input_grad, &weight_grads);
    benchmark::DoNotOptimize(output.raw_data());
  }
}

void BM_LstmDefault(benchmark::State& state) { Run(state, kDefault); }
BENCHMARK(BM_LstmDefault)
    ->ArgNames({"T", "B", "bwd"})
    ->Args({16, 1, 0})
    ->Args({16, 2, 0})
    ->Args({16, 8, 0})
    ->Args({16, 1, 1})
    ->Args({16, 2, 1})
    ->Args({16, 8, 1})
    ->Unit(benchmark::kMillisecond);

void BM_LstmPaper(benchmark::State& state) { Run(state, kPaper); }
BENCHMARK(BM_LstmPaper)
    ->ArgNames({"T", "B", "bwd"})
    ->Args({4, 20, 0})
    ->Args({4, 20, 1})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace nn
