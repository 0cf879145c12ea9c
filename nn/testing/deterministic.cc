// Counter-based hashing of tensor names into reproducible values.
#include "nn/testing/deterministic.h"

#include <algorithm>
#include <cmath>

namespace nn::testing {
namespace {

uint32_t Fmix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x85EBCA6Bu;
  x ^= x >> 13;
  x *= 0xC2B2AE35u;
  x ^= x >> 16;
  return x;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

uint32_t Fnv1a32(const std::string& text) {
  uint32_t h = 0x811C9DC5u;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x01000193u;
  }
  return h;
}

std::vector<float> Uniform01(const std::string& name, int64_t numel) {
  const uint32_t seed = Fnv1a32(name);
  std::vector<float> out(numel);
  for (int64_t i = 0; i < numel; ++i) {
    const uint32_t x = seed + static_cast<uint32_t>(i) * 0x9E3779B9u;
    out[i] = static_cast<float>(Fmix32(x) >> 8) * (1.0f / 16777216.0f);
  }
  return out;
}

Tensor Symmetric(const std::string& name, const Shape& shape, float scale) {
  const std::vector<float> u = Uniform01(name, shape.numel());
  Tensor t = Tensor::Empty(shape);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = (u[i] * 2.0f - 1.0f) * scale;
  return t;
}

void FillModule(Module& module, const std::string& prefix) {
  // Batch-norm affine parameters are the ones whose module also has running statistics.
  const auto state = module.NamedState();
  auto has = [&](const std::string& name) {
    return std::any_of(state.begin(), state.end(), [&](const auto& e) { return e.first == name; });
  };
  for (const auto& [local_name, tensor] : state) {
    const std::string name = prefix + local_name;
    const std::string owner = local_name.substr(0, local_name.rfind('.') + 1);
    const bool batch_norm = has(owner + "running_mean");
    Tensor value;
    if (EndsWith(name, "num_batches_tracked")) {
      value = Tensor::Zeros(tensor->shape());
    } else if (EndsWith(name, "running_mean")) {
      value = Symmetric(name, tensor->shape(), 0.1f);
    } else if (EndsWith(name, "running_var")) {
      value = Symmetric(name, tensor->shape(), 0.25f);
      for (int64_t i = 0; i < value.numel(); ++i) value.data<float>()[i] += 1.0f;
    } else if (batch_norm) {
      value = Symmetric(name, tensor->shape(), 0.1f);
      if (EndsWith(name, "weight")) {
        for (int64_t i = 0; i < value.numel(); ++i) value.data<float>()[i] += 1.0f;
      }
    } else {
      const Shape& s = tensor->shape();
      int64_t fan_in = s.rank() > 1 ? s[1] : s[0];
      for (int d = 2; d < s.rank(); ++d) fan_in *= s[d];
      // Python: fan_in ** -0.5 in double, rounded to float32 by torch.tensor(scale).
      value = Symmetric(name, s, static_cast<float>(std::pow(static_cast<double>(fan_in), -0.5)));
    }
    tensor->CopyFrom(value);
  }
}

std::vector<double> GradientSummary(const std::string& name, const Tensor& grad, int samples) {
  const int64_t n = grad.numel();
  const float* g = grad.data<float>();
  const Tensor probe = Symmetric(name + "#probe", {n}, 1.0f);
  double sum = 0, squares = 0, projection = 0;
  for (int64_t i = 0; i < n; ++i) {
    sum += g[i];
    squares += static_cast<double>(g[i]) * g[i];
    projection += static_cast<double>(g[i]) * probe.data<float>()[i];
  }
  std::vector<double> out = {sum, squares, projection};
  const std::vector<float> seeds = Uniform01(name + "#samples", samples);
  for (int k = 0; k < samples; ++k) {
    const int64_t index =
        std::min<int64_t>(static_cast<int64_t>(static_cast<double>(seeds[k]) * n), n - 1);
    out.push_back(g[index]);
  }
  return out;
}

}  // namespace nn::testing
