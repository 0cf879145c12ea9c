// Benchmark: milliseconds per AugmentClip call on a 16x3x224x224 clip (the default preset's
// input), for each augmentation alone (always applied) and for the default preset's recipe
// as drawn at random; median of several runs, one thread (the loader's workers each run one).
//   bazel run //train/data:augment_benchmark [-- --frames 16 --size 224 --runs 9]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "nn/models/presets.h"
#include "nn/tensor.h"
#include "train/data/augment.h"

namespace {

double MedianMs(int runs, const std::function<void()>& body) {
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    body();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int frames = 16, size = 224, runs = 9;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--frames"))
      frames = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--size"))
      size = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--runs"))
      runs = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: augment_benchmark [--frames N] [--size PX] [--runs N]\n");
      return 2;
    }
  }
  nn::Tensor source = nn::Tensor::Empty({frames, 3, size, size});
  std::mt19937_64 fill(1);
  for (int64_t i = 0; i < source.numel(); ++i) {
    const int64_t x = i % size, y = (i / size) % size;
    source.data<float>()[i] =
        0.5f + 0.3f * std::sin(0.05f * x + 0.03f * y) + 0.05f * ((fill() % 1000) / 1000.0f - 0.5f);
  }
  using train::data::AugmentOptions;
  const std::vector<std::pair<std::string, std::function<void(AugmentOptions*)>>> cases = {
      {"hflip", [](AugmentOptions* o) { o->hflip_probability = 1; }},
      {"color_jitter", [](AugmentOptions* o) { o->color_jitter_probability = 1; }},
      {"downscale", [](AugmentOptions* o) { o->downscale_probability = 1; }},
      {"blur (sigma up to 1.5)", [](AugmentOptions* o) { o->blur_probability = 1; }},
      {"noise", [](AugmentOptions* o) { o->noise_probability = 1; }},
      {"jpeg", [](AugmentOptions* o) { o->jpeg_probability = 1; }},
      {"h264", [](AugmentOptions* o) { o->h264_probability = 1; }},
      {"erase", [](AugmentOptions* o) { o->erase_probability = 1; }},
  };
  std::printf("AugmentClip on a %dx3x%dx%d clip, median of %d runs (ms, includes a clip copy)\n",
              frames, size, size, runs);
  nn::Tensor clip = source.Clone();
  const double copy_ms = MedianMs(runs, [&] { clip.CopyFrom(source); });
  std::printf("  %-28s %8.2f\n", "(clip copy alone)", copy_ms);
  std::mt19937_64 rng(42);
  for (const auto& [name, enable] : cases) {
    AugmentOptions options = train::data::NoAugmentation();
    enable(&options);
    const double ms = MedianMs(runs, [&] {
      clip.CopyFrom(source);
      train::data::AugmentClip(&clip, options, rng);
    });
    std::printf("  %-28s %8.2f\n", name.c_str(), ms);
  }
  nn::ModelPreset preset = nn::GetPreset("default").value();
  preset.preprocessing.image_size = size;
  const AugmentOptions recipe = train::data::AugmentOptionsForPreset(preset);
  const double recipe_ms = MedianMs(std::max(runs, 41), [&] {
    clip.CopyFrom(source);
    train::data::AugmentClip(&clip, recipe, rng);
  });
  std::printf("  %-28s %8.2f\n", "preset recipe (median draw)", recipe_ms);
  double total = 0;
  const int draws = 100;
  for (int i = 0; i < draws; ++i) {
    total += MedianMs(1, [&] {
      clip.CopyFrom(source);
      train::data::AugmentClip(&clip, recipe, rng);
    });
  }
  std::printf("  %-28s %8.2f\n", "preset recipe (mean, 100)", total / draws);
  return 0;
}
