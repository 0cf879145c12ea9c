// Central-difference gradient checker.
#include "nn/testing/gradient_check.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <sstream>

namespace nn::testing {
namespace {

double Projection(const Tensor& output, const Tensor& r) {
  NN_CHECK(output.shape() == r.shape()) << "forward changed its output shape";
  const float* y = output.data<float>();
  const float* w = r.data<float>();
  double sum = 0;
  for (int64_t j = 0; j < output.numel(); ++j) sum += static_cast<double>(y[j]) * w[j];
  return sum;
}

std::vector<int64_t> SampleIndices(int64_t n, int max_count, std::mt19937& rng) {
  std::vector<int64_t> indices(n);
  std::iota(indices.begin(), indices.end(), 0);
  if (n > max_count) {
    std::shuffle(indices.begin(), indices.end(), rng);
    indices.resize(max_count);
    std::sort(indices.begin(), indices.end());
  }
  return indices;
}

}  // namespace

Tensor RandomNormal(const Shape& shape, uint32_t seed, float stddev) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, stddev);
  Tensor t = Tensor::Empty(shape);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = normal(rng);
  return t;
}

Tensor RandomUniform(const Shape& shape, uint32_t seed, float low, float high) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(low, high);
  Tensor t = Tensor::Empty(shape);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = uniform(rng);
  return t;
}

::testing::AssertionResult CheckGradients(const std::vector<Tensor*>& inputs,
                                          const ForwardFn& forward, const BackwardFn& backward,
                                          const GradientCheckOptions& options) {
  std::mt19937 rng(options.seed);
  const Tensor output = forward();
  const Tensor r = RandomNormal(output.shape(), options.seed + 7919);

  std::vector<Tensor> grads;
  std::vector<Tensor*> grad_ptrs;
  for (const Tensor* input : inputs) grads.push_back(Tensor::Zeros(input->shape()));
  for (Tensor& g : grads) grad_ptrs.push_back(&g);
  backward(r, grad_ptrs);

  std::ostringstream failures;
  int num_failures = 0;
  int64_t num_checked = 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor& x = *inputs[k];
    float* xp = x.data<float>();
    const float* gp = grads[k].data<float>();
    for (int64_t i : SampleIndices(x.numel(), options.max_elements_per_input, rng)) {
      const float original = xp[i];
      xp[i] = original + options.epsilon;
      const double plus = Projection(forward(), r);
      xp[i] = original - options.epsilon;
      const double minus = Projection(forward(), r);
      xp[i] = original;
      // The step actually taken in float32, not the nominal 2 eps.
      const double step = static_cast<double>(original + options.epsilon) -
                          static_cast<double>(original - options.epsilon);
      const double numeric = (plus - minus) / step;
      const double analytic = gp[i];
      const double allowed =
          options.absolute_tolerance +
          options.relative_tolerance * std::max(std::abs(analytic), std::abs(numeric));
      ++num_checked;
      if (std::abs(analytic - numeric) > allowed) {
        if (++num_failures <= 10) {
          failures << "\n  input " << k << " " << x.shape() << " element " << i << ": analytic "
                   << analytic << ", numeric " << numeric;
        }
      }
    }
  }
  if (num_failures > 0) {
    return ::testing::AssertionFailure() << num_failures << " of " << num_checked
                                         << " gradient elements differ" << failures.str();
  }
  return ::testing::AssertionSuccess() << num_checked << " gradient elements agree";
}

}  // namespace nn::testing
