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

TensorDifference CompareTensors(const Tensor& actual, const Tensor& expected,
                                const Tolerance& tolerance) {
  NN_CHECK(actual.shape() == expected.shape())
      << "CompareTensors: shapes " << actual.shape().ToString() << " and "
      << expected.shape().ToString();
  NN_CHECK(actual.dtype() == DType::kFloat32 && expected.dtype() == DType::kFloat32)
      << "CompareTensors: float32 only: " << actual.DebugString() << ", " << expected.DebugString();
  NN_CHECK(actual.device().is_cpu() && expected.device().is_cpu())
      << "CompareTensors: CPU tensors only (copy with To(Device::CPU())): " << actual.DebugString()
      << ", " << expected.DebugString();
  TensorDifference d;
  d.numel = actual.numel();
  const float* a = actual.data<float>();
  const float* e = expected.data<float>();
  for (int64_t i = 0; i < d.numel; ++i) {
    const double ai = a[i], ei = e[i];
    const double error = std::fabs(ai - ei);
    if (!(error <= tolerance.abs + tolerance.rel * std::fabs(ei))) ++d.failing;  // NaN fails
    const double ranked = std::isnan(error) ? HUGE_VAL : error;                  // NaN is the worst
    if (d.max_abs_index < 0 || ranked > d.max_abs_error) {
      d.max_abs_error = ranked;
      d.max_abs_index = i;
    }
    if (ei != 0 && error / std::fabs(ei) > d.max_rel_error) {
      d.max_rel_error = error / std::fabs(ei);
      d.max_rel_index = i;
    }
    d.max_abs_expected = std::max(d.max_abs_expected, std::fabs(ei));
  }
  return d;
}

::testing::AssertionResult TensorsNear(const Tensor& actual, const Tensor& expected,
                                       const Tolerance& tolerance) {
  if (actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure() << "shapes differ: actual " << actual.shape().ToString()
                                         << ", expected " << expected.shape().ToString();
  }
  const TensorDifference d = CompareTensors(actual, expected, tolerance);
  if (d.failing == 0) return ::testing::AssertionSuccess();
  const float* a = actual.data<float>();
  const float* e = expected.data<float>();
  auto at = [&](int64_t i) {
    std::ostringstream out;
    out << IndexString(actual.shape(), i) << " (actual " << a[i] << ", expected " << e[i] << ")";
    return out.str();
  };
  // An ostringstream (6 significant digits), not AssertionResult's full precision.
  std::ostringstream message;
  message << d.failing << " of " << d.numel << " elements of " << actual.shape().ToString()
          << " differ by more than " << tolerance.abs << " + " << tolerance.rel
          << " * |expected|; max abs error " << d.max_abs_error << " at " << at(d.max_abs_index);
  if (d.max_rel_index >= 0) {
    message << "; max rel error " << d.max_rel_error << " at " << at(d.max_rel_index);
  }
  message << "; max |expected| " << d.max_abs_expected;
  return ::testing::AssertionFailure() << message.str();
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
