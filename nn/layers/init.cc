// Seeded default initialisers.
#include "nn/layers/init.h"

#include <cmath>
#include <mutex>
#include <random>

namespace nn {
namespace {

std::mutex& InitMutex() {
  static std::mutex mutex;
  return mutex;
}

std::mt19937_64& InitGenerator() {
  static std::mt19937_64 generator(0x5eed);
  return generator;
}

Tensor Uniform(const Shape& shape, float bound) {
  std::lock_guard<std::mutex> lock(InitMutex());
  std::uniform_real_distribution<float> uniform(-bound, bound);
  Tensor t = Tensor::Empty(shape);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = uniform(InitGenerator());
  return t;
}

}  // namespace

void SetInitSeed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(InitMutex());
  InitGenerator().seed(seed);
}

// kaiming_uniform_(a = sqrt(5)): gain = sqrt(2 / (1 + 5)), bound = gain * sqrt(3 / fan_in)
// = 1 / sqrt(fan_in).
Tensor KaimingUniform(const Shape& shape, int64_t fan_in) {
  return Uniform(shape, 1.0f / std::sqrt(static_cast<float>(fan_in)));
}

Tensor BiasUniform(const Shape& shape, int64_t fan_in) {
  return Uniform(shape, 1.0f / std::sqrt(static_cast<float>(fan_in)));
}

}  // namespace nn
