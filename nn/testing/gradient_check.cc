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
  int64_t num_checked = 0, num_skipped = 0;
  // L(x + h) and L(x - h) with the steps actually taken in float32.
  struct Differences {
    double plus, minus, step_up, step_down;
    // (L(x + h) - L(x - h)) / 2h: the estimate that is compared.
    double central() const { return (plus - minus) / (step_up + step_down); }
    // (L(x + h) - L(x)) / h and (L(x) - L(x - h)) / h.
    double forward(double at_x) const { return (plus - at_x) / step_up; }
    double backward(double at_x) const { return (at_x - minus) / step_down; }
  };
  auto differences = [&](float* element, float h) {
    const float original = *element;
    *element = original + h;
    const double plus = Projection(forward(), r);
    *element = original - h;
    const double minus = Projection(forward(), r);
    *element = original;
    return Differences{plus, minus, static_cast<double>(original + h) - original,
                       original - static_cast<double>(original - h)};
  };
  auto allowed = [&](double a, double b) {
    return options.absolute_tolerance +
           options.relative_tolerance * std::max(std::abs(a), std::abs(b));
  };
  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor& x = *inputs[k];
    float* xp = x.data<float>();
    const float* gp = grads[k].data<float>();
    for (int64_t i : SampleIndices(x.numel(), options.max_elements_per_input, rng)) {
      const Differences d = differences(&xp[i], options.epsilon);
      const double numeric = d.central();
      if (options.skip_nonsmooth) {
        // A kink within eps shows as one-sided quotients that disagree (a kink very close
        // to x) or as a central difference that changes with the step.
        const double at_x = Projection(forward(), r);
        const double up = d.forward(at_x), down = d.backward(at_x);
        const double half = differences(&xp[i], options.epsilon / 2).central();
        if (std::abs(up - down) > 2 * allowed(up, down) ||
            std::abs(numeric - half) > allowed(numeric, half)) {
          ++num_skipped;
          continue;
        }
      }
      const double analytic = gp[i];
      ++num_checked;
      if (std::abs(analytic - numeric) > allowed(analytic, numeric)) {
        if (++num_failures <= 10) {
          failures << "\n  input " << k << " " << x.shape() << " element " << i << ": analytic "
                   << analytic << ", numeric " << numeric;
        }
      }
    }
  }
  const int64_t total = num_checked + num_skipped;
  if (num_skipped > options.max_skipped_fraction * static_cast<double>(total)) {
    return ::testing::AssertionFailure()
           << num_skipped << " of " << total
           << " elements were not smooth within eps; use a smaller epsilon or other inputs";
  }
  if (num_failures > options.max_mismatch_fraction * static_cast<double>(num_checked)) {
    return ::testing::AssertionFailure() << num_failures << " of " << num_checked
                                         << " gradient elements differ" << failures.str();
  }
  return ::testing::AssertionSuccess()
         << num_checked << " gradient elements agree (" << num_skipped << " skipped as not smooth)";
}

}  // namespace nn::testing
