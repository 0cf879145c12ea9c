// Finite-difference gradient checks for ops and whole modules (as dlib's test_layer).
//
// The scalar checked is a random projection of the output, L = sum_j r_j * y_j with
// r ~ N(0, 1): its gradient is what backward computes when given dY = r. For a sample of
// elements x_i of every input, the harness compares backward's dL/dx_i with the central
// difference (L(x_i + eps) - L(x_i - eps)) / (2 eps), accumulated in double precision, and
// fails with the worst elements when |analytic - numeric| > atol + rtol * max(|a|, |n|).
//
// Kernels compute in float32, so eps is large (1e-2) and tolerances are a few 1e-3
// relative: a wrong gradient is off by O(1) and still fails. Ops with kinks (ReLU,
// max-pool) must be tested on inputs at least eps away from them, or, for whole modules,
// with `skip_nonsmooth`.
#ifndef NN_TESTING_GRADIENT_CHECK_H_
#define NN_TESTING_GRADIENT_CHECK_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "gtest/gtest.h"
#include "nn/tensor.h"
#include "nn/testing/tensor_matchers.h"  // RandomNormal, RandomUniform

namespace nn::testing {

struct GradientCheckOptions {
  float epsilon = 1e-2f;
  double relative_tolerance = 1e-2;
  double absolute_tolerance = 2e-3;
  // Elements checked per input (a random sample when the input is larger; all otherwise).
  int max_elements_per_input = 128;
  uint32_t seed = 1;
  // For whole modules, where some ReLU input or max-pool tie lies within eps of almost any
  // point: an element whose difference quotients at eps and eps/2 disagree (the function
  // is not smooth within eps) is skipped instead of compared, and the check fails if more
  // than `max_skipped_fraction` of the elements had to be skipped.
  bool skip_nonsmooth = false;
  double max_skipped_fraction = 0.25;
  // Whole networks only: a max-pool argmax can switch within eps without either smoothness
  // test noticing, so up to this fraction of the compared elements may disagree (a wrong
  // gradient makes most of them disagree). 0 for ops and blocks.
  double max_mismatch_fraction = 0.0;
};

// Computes the output from the current values of the inputs (which the harness perturbs
// in place). Must be deterministic: fix dropout masks and use eval-style statistics or
// recompute batch statistics each call, as the op under test requires.
using ForwardFn = std::function<Tensor()>;
// Called right after a forward at the unperturbed inputs, with dL/dY; accumulates (+=)
// dL/dinput_i into input_grads[i], which the harness zeroes and shapes like inputs[i].
using BackwardFn =
    std::function<void(const Tensor& output_grad, const std::vector<Tensor*>& input_grads)>;

::testing::AssertionResult CheckGradients(const std::vector<Tensor*>& inputs,
                                          const ForwardFn& forward, const BackwardFn& backward,
                                          const GradientCheckOptions& options = {});

}  // namespace nn::testing

#endif  // NN_TESTING_GRADIENT_CHECK_H_
