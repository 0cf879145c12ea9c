// TensorsNear / CompareTensors and the random tensor makers.
#include "nn/testing/tensor_matchers.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

#include "nn/check.h"

namespace nn::testing {

std::string IndexString(const Shape& shape, int64_t index) {
  std::vector<int64_t> multi(shape.rank());
  for (int axis = shape.rank() - 1; axis >= 0; --axis) {
    const int64_t dim = shape.dim(axis);
    multi[axis] = dim > 0 ? index % dim : 0;
    index = dim > 0 ? index / dim : 0;
  }
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < multi.size(); ++i) out << (i ? ", " : "") << multi[i];
  out << "]";
  return out.str();
}

namespace {

void CheckCpuFloat(const char* what, const Tensor& t) {
  NN_CHECK(t.dtype() == DType::kFloat32) << what << ": float32 only: " << t.DebugString();
  NN_CHECK(t.device().is_cpu()) << what << ": CPU tensors only (copy with To(Device::CPU())): "
                                << t.DebugString();
}

// The comparison of n float32 values `a` with expected values e(i) (float or double).
template <typename Expected>
TensorDifference Compare(const float* a, const Expected* e, int64_t n, const Tolerance& tolerance) {
  TensorDifference d;
  d.numel = n;
  for (int64_t i = 0; i < n; ++i) {
    d.max_abs_expected = std::max(d.max_abs_expected, std::fabs(static_cast<double>(e[i])));
  }
  const double largest = std::max(1.0, d.max_abs_expected);
  for (int64_t i = 0; i < n; ++i) {
    const double ai = a[i], ei = e[i];
    const double error = std::fabs(ai - ei);
    double scale = std::fabs(ei);
    if (tolerance.relative_to == RelativeTo::kExpectedAtLeastOne) scale = std::max(1.0, scale);
    if (tolerance.relative_to == RelativeTo::kLargestExpected) scale = largest;
    if (!(error <= tolerance.abs + tolerance.rel * scale)) ++d.failing;  // NaN fails
    if (ai == ei) ++d.equal;
    const double ranked = std::isnan(error) ? HUGE_VAL : error;  // NaN is the worst
    if (d.max_abs_index < 0 || ranked > d.max_abs_error) {
      d.max_abs_error = ranked;
      d.max_abs_index = i;
    }
    if (ei != 0 && error / std::fabs(ei) > d.max_rel_error) {
      d.max_rel_error = error / std::fabs(ei);
      d.max_rel_index = i;
    }
  }
  return d;
}

const char* ScaleName(RelativeTo relative_to) {
  switch (relative_to) {
    case RelativeTo::kExpected:
      return "|expected|";
    case RelativeTo::kExpectedAtLeastOne:
      return "max(1, |expected|)";
    case RelativeTo::kLargestExpected:
      return "max(1, max |expected|)";
  }
  return "?";
}

template <typename Expected>
::testing::AssertionResult Near(const Shape& shape, const float* a, const Expected* e,
                                const Tolerance& tolerance) {
  const TensorDifference d = Compare(a, e, shape.numel(), tolerance);
  if (d.failing == 0) return ::testing::AssertionSuccess();
  auto at = [&](int64_t i) {
    std::ostringstream out;
    out << IndexString(shape, i) << " (actual " << a[i] << ", expected " << e[i] << ")";
    return out.str();
  };
  // An ostringstream (6 significant digits), not AssertionResult's full precision.
  std::ostringstream message;
  message << d.failing << " of " << d.numel << " elements of " << shape.ToString()
          << " differ by more than " << tolerance.abs << " + " << tolerance.rel << " * "
          << ScaleName(tolerance.relative_to) << "; max abs error " << d.max_abs_error << " at "
          << at(d.max_abs_index);
  if (d.max_rel_index >= 0) {
    message << "; max rel error " << d.max_rel_error << " at " << at(d.max_rel_index);
  }
  message << "; max |expected| " << d.max_abs_expected;
  return ::testing::AssertionFailure() << message.str();
}

}  // namespace

TensorDifference CompareTensors(const Tensor& actual, const Tensor& expected,
                                const Tolerance& tolerance) {
  NN_CHECK(actual.shape() == expected.shape())
      << "CompareTensors: shapes " << actual.shape().ToString() << " and "
      << expected.shape().ToString();
  CheckCpuFloat("CompareTensors", actual);
  CheckCpuFloat("CompareTensors", expected);
  return Compare(actual.data<float>(), expected.data<float>(), actual.numel(), tolerance);
}

TensorDifference CompareTensors(const Tensor& actual, const std::vector<double>& expected,
                                const Tolerance& tolerance) {
  NN_CHECK(static_cast<int64_t>(expected.size()) == actual.numel())
      << "CompareTensors: " << expected.size() << " expected values for "
      << actual.shape().ToString();
  CheckCpuFloat("CompareTensors", actual);
  return Compare(actual.data<float>(), expected.data(), actual.numel(), tolerance);
}

::testing::AssertionResult TensorsNear(const Tensor& actual, const Tensor& expected,
                                       const Tolerance& tolerance) {
  if (actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure() << "shapes differ: actual " << actual.shape().ToString()
                                         << ", expected " << expected.shape().ToString();
  }
  CheckCpuFloat("TensorsNear", actual);
  CheckCpuFloat("TensorsNear", expected);
  return Near(actual.shape(), actual.data<float>(), expected.data<float>(), tolerance);
}

::testing::AssertionResult TensorsNear(const Tensor& actual, const std::vector<double>& expected,
                                       const Tolerance& tolerance) {
  if (static_cast<int64_t>(expected.size()) != actual.numel()) {
    return ::testing::AssertionFailure() << "sizes differ: actual " << actual.shape().ToString()
                                         << ", " << expected.size() << " expected values";
  }
  CheckCpuFloat("TensorsNear", actual);
  return Near(actual.shape(), actual.data<float>(), expected.data(), tolerance);
}

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

}  // namespace nn::testing
