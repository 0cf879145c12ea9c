// Throughput of Conv2dForward/Conv2dBackward on the convolutions of ResNeXt-50 32x4d at
// 224x224 (batch 1 and 16), in GFLOP/s (2 FLOPs per multiply-add; backward computes dX and
// dW, twice the forward's work), plus all 53 convolutions of one forward pass.
//   bazel run --config=native //nn/ops:conv_benchmark -- --benchmark_filter=Forward
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "nn/ops/conv.h"
#include "nn/testing/gradient_check.h"

namespace nn {
namespace {

struct ConvLayer {
  std::string name;
  int64_t in_channels, size, out_channels, kernel;
  int stride, groups;

  Conv2dParams params() const {
    Conv2dParams p;
    p.stride_h = p.stride_w = stride;
    p.pad_h = p.pad_w = static_cast<int>(kernel / 2);
    p.groups = groups;
    return p;
  }
  Shape input(int64_t batch) const { return Shape({batch, in_channels, size, size}); }
  Shape weight() const { return Shape({out_channels, in_channels / groups, kernel, kernel}); }
  double Flops(int64_t batch) const {
    const Shape out = Conv2dOutputShape(input(batch), weight(), params());
    return 2.0 * out.numel() * (in_channels / groups) * kernel * kernel;
  }
};

// Every convolution of ResNeXt-50 32x4d (torchvision layout: stride on the 3x3 conv and on
// the 1x1 downsample of each stage's first block).
std::vector<ConvLayer> ResNeXt50Convs() {
  std::vector<ConvLayer> layers = {{"stem_7x7_s2", 3, 224, 64, 7, 2, 1}};
  const int blocks[4] = {3, 4, 6, 3};
  int64_t in = 64, size = 56;
  for (int stage = 0; stage < 4; ++stage) {
    const int64_t width = 128 << stage, out = 256 << stage;
    for (int block = 0; block < blocks[stage]; ++block) {
      const int stride = (block == 0 && stage > 0) ? 2 : 1;
      const std::string prefix = "layer" + std::to_string(stage + 1) + "." + std::to_string(block);
      layers.push_back({prefix + ".conv1_1x1", in, size, width, 1, 1, 1});
      layers.push_back({prefix + ".conv2_3x3_g32", width, size, width, 3, stride, 32});
      const int64_t out_size = size / stride;
      layers.push_back({prefix + ".conv3_1x1", width, out_size, out, 1, 1, 1});
      if (block == 0) layers.push_back({prefix + ".downsample_1x1", in, size, out, 1, stride, 1});
      in = out;
      size = out_size;
    }
  }
  return layers;
}

// The distinct shapes among them (blocks after the first of a stage repeat).
std::vector<ConvLayer> DistinctLayers() {
  std::vector<ConvLayer> distinct;
  for (const ConvLayer& l : ResNeXt50Convs()) {
    if (l.name.find(".1.") != std::string::npos && l.name.rfind("layer", 0) == 0) {
      distinct.push_back(l);  // a repeated block: conv1 / conv2 / conv3 of steady state
    } else if (l.name.find(".0.") != std::string::npos || l.name == "stem_7x7_s2") {
      distinct.push_back(l);
    }
  }
  return distinct;
}

void SetGflops(benchmark::State& state, double flops) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_ConvForward(benchmark::State& state, const ConvLayer& layer, int64_t batch) {
  const Tensor x = testing::RandomNormal(layer.input(batch), 1);
  const Tensor w = testing::RandomNormal(layer.weight(), 2, 0.1f);
  const Tensor b = testing::RandomNormal({layer.out_channels}, 3);
  Tensor y = Tensor::Empty(Conv2dOutputShape(x.shape(), w.shape(), layer.params()));
  for (auto _ : state) {
    Conv2dForward(x, w, &b, layer.params(), &y, {nullptr, nullptr, true});
    benchmark::DoNotOptimize(y.raw_data());
  }
  SetGflops(state, layer.Flops(batch));
}

void BM_ConvBackward(benchmark::State& state, const ConvLayer& layer, int64_t batch) {
  const Tensor x = testing::RandomNormal(layer.input(batch), 1);
  const Tensor w = testing::RandomNormal(layer.weight(), 2, 0.1f);
  const Shape out_shape = Conv2dOutputShape(x.shape(), w.shape(), layer.params());
  const Tensor dy = testing::RandomNormal(out_shape, 3);
  Tensor dx = Tensor::Zeros(x.shape()), dw = Tensor::Zeros(w.shape());
  Tensor db = Tensor::Zeros({layer.out_channels});
  for (auto _ : state) {
    Conv2dBackward(x, w, dy, layer.params(), &dx, &dw, &db);
    benchmark::DoNotOptimize(dw.raw_data());
  }
  SetGflops(state, 2 * layer.Flops(batch));
}

// All 53 convolutions of one ResNeXt-50 forward pass, back to back.
void BM_ResNeXt50AllConvsForward(benchmark::State& state) {
  const int64_t batch = state.range(0);
  const std::vector<ConvLayer> layers = ResNeXt50Convs();
  std::vector<Tensor> xs, ws, ys;
  double flops = 0;
  for (const ConvLayer& l : layers) {
    xs.push_back(testing::RandomNormal(l.input(batch), 1));
    ws.push_back(testing::RandomNormal(l.weight(), 2, 0.1f));
    ys.push_back(Tensor::Empty(Conv2dOutputShape(l.input(batch), l.weight(), l.params())));
    flops += l.Flops(batch);
  }
  for (auto _ : state) {
    for (size_t i = 0; i < layers.size(); ++i) {
      Conv2dForward(xs[i], ws[i], nullptr, layers[i].params(), &ys[i], {nullptr, nullptr, true});
    }
    benchmark::DoNotOptimize(ys.back().raw_data());
  }
  SetGflops(state, flops);
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_ResNeXt50AllConvsForward)
    ->Arg(1)
    ->Arg(16)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

int RegisterLayerBenchmarks() {
  for (const ConvLayer& layer : DistinctLayers()) {
    for (int64_t batch : {1, 16}) {
      const std::string suffix = layer.name + "/batch:" + std::to_string(batch);
      benchmark::RegisterBenchmark(("BM_ConvForward/" + suffix).c_str(), BM_ConvForward, layer,
                                   batch)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
      benchmark::RegisterBenchmark(("BM_ConvBackward/" + suffix).c_str(), BM_ConvBackward, layer,
                                   batch)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
  return 0;
}
const int registered = RegisterLayerBenchmarks();

}  // namespace
}  // namespace nn
