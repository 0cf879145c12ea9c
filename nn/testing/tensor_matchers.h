// Tensor test helpers: closeness with the worst elements in the failure message, and
// reproducible random tensors.
//
//   EXPECT_TRUE(TensorsNear(actual, expected, {/*abs=*/1e-5, /*rel=*/1e-4})) << "logits";
//
// fails with e.g. "3 of 6 elements differ by more than 1e-05 + 0.0001 * |expected|; max
// abs error 0.25 at [1, 2] (actual 1.25, expected 1); max rel error 0.2 at [1, 2] ...".
#ifndef NN_TESTING_TENSOR_MATCHERS_H_
#define NN_TESTING_TENSOR_MATCHERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nn/tensor.h"

namespace nn::testing {

// What Tolerance::rel multiplies.
enum class RelativeTo {
  kExpected,            // |expected_i|, as numpy.isclose
  kExpectedAtLeastOne,  // max(1, |expected_i|): relative for large values, absolute below 1
  kLargestExpected,     // max(1, max_j |expected_j|): one bound for the whole tensor
};

// Element i passes when |actual_i - expected_i| <= abs + rel * scale_i, with scale_i as
// `relative_to` says (by default |expected_i|: numpy.isclose).
struct Tolerance {
  double abs = 0;
  double rel = 0;
  RelativeTo relative_to = RelativeTo::kExpected;
};

// |actual_i - expected_i| <= rel * max(1, |expected_i|).
inline Tolerance RelativeAtLeastOne(double rel) {
  return {0, rel, RelativeTo::kExpectedAtLeastOne};
}
// |actual_i - expected_i| <= rel * max(1, max_j |expected_j|).
inline Tolerance RelativeToLargest(double rel) { return {0, rel, RelativeTo::kLargestExpected}; }

// How two float32 tensors differ (computed in double precision). Indices are flat.
struct TensorDifference {
  int64_t numel = 0;
  int64_t failing = 0;  // elements outside the tolerance (NaN in either counts as failing)
  double max_abs_error = 0;
  int64_t max_abs_index = -1;
  double max_rel_error = 0;  // |a - e| / |e|, over elements with e != 0
  int64_t max_rel_index = -1;
  double max_abs_expected = 0;  // largest |expected|
  int64_t equal = 0;            // elements with actual_i == expected_i exactly
};

// Compares element by element; the tensors must have the same shape, dtype float32, on
// the CPU (NN_CHECK otherwise).
TensorDifference CompareTensors(const Tensor& actual, const Tensor& expected,
                                const Tolerance& tolerance);
// Against reference values computed in double (e.g. a double-precision reference
// implementation), flat in actual's shape: expected.size() == actual.numel().
TensorDifference CompareTensors(const Tensor& actual, const std::vector<double>& expected,
                                const Tolerance& tolerance);

// Success when the shapes match and every element is within `tolerance`; the failure
// message gives the count, the largest absolute and relative errors with their
// multi-indices and values, and the largest |expected|.
::testing::AssertionResult TensorsNear(const Tensor& actual, const Tensor& expected,
                                       const Tolerance& tolerance);
// The same against double reference values, flat in actual's shape (the sizes must match).
::testing::AssertionResult TensorsNear(const Tensor& actual, const std::vector<double>& expected,
                                       const Tolerance& tolerance);

// "[1, 2]": the multi-index of flat element `index` of `shape`.
std::string IndexString(const Shape& shape, int64_t index);

// A float32 CPU tensor of N(0, stddev^2) values, reproducible from `seed` (std::mt19937).
Tensor RandomNormal(const Shape& shape, uint32_t seed, float stddev = 1.0f);
// Uniform values in [low, high).
Tensor RandomUniform(const Shape& shape, uint32_t seed, float low, float high);

}  // namespace nn::testing

#endif  // NN_TESTING_TENSOR_MATCHERS_H_
