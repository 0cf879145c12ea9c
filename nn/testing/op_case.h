// Op test cases that run on every device (as ggml's tests/test-backend-ops.cpp): a case
// builds its inputs from a seed on a given device and runs the op forward and backward;
// nn/ops/backend_ops_test.cc runs each case on the CPU and on every other available device
// and compares every output and gradient, and checks the CPU gradients against finite
// differences. A CUDA kernel thereby gets CPU-parity tests on odd shapes for free.
#ifndef NN_TESTING_OP_CASE_H_
#define NN_TESTING_OP_CASE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "nn/tensor.h"
#include "nn/testing/gradient_check.h"

namespace nn::testing {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// One op under test on one device, with its inputs built. The closures share the tensors
// (Tensor copies are shallow), so perturbing `inputs` in place changes what forward reads.
struct OpInstance {
  // Differentiable inputs and parameters, by name: backward accumulates their gradients
  // and the gradient check perturbs them. Other inputs (targets, running statistics) are
  // captured by the closures only.
  NamedTensors inputs;
  // The op's forward at the current inputs; returns its output (on the case's device).
  ForwardFn forward;
  // Accumulates dL/d inputs[i] into *grads[i] (zero, shaped like inputs[i], on the device)
  // given dL/d output, right after a forward. Empty for forward-only ops.
  BackwardFn backward;
  // Tensors that forward writes besides its output (running statistics, dropout masks,
  // h_n), compared across devices like the output.
  NamedTensors state;
};

struct OpCase {
  std::string name;
  // Builds the instance on `device`. Inputs must be the same values on every device for one
  // seed: draw them on the CPU (RandomNormal, ...) and move them with .To(device).
  std::function<OpInstance(Device device, uint32_t seed)> build;
  // Device parity: |device - cpu| <= tolerance * (1 + |cpu|) per element (kernels on other
  // devices may sum in another order).
  double tolerance = 1e-4;
  // The CPU finite-difference check (ignored for forward-only cases).
  GradientCheckOptions gradient_check = {};
  // Why the op has no backward ("an optimizer update is not differentiated through"), for
  // forward-only cases: their instances have no backward and no differentiable inputs, and
  // only their output and state are compared. Empty for differentiable ops, whose instances
  // must have a backward.
  std::string forward_only;
};

// What one run of a case produced, copied to the CPU: "output", then each state tensor by
// its name, then "grad <input>" for each input (when the case has a backward, computed with
// dL/d output = RandomNormal(output shape, seed + 1)). `missing_kernels` lists the kernels
// the device lacks ("LinearForward on cuda:0"); when it is not empty the tensors are
// meaningless (the missing kernels were skipped).
struct OpCaseRun {
  NamedTensors tensors;
  std::vector<std::string> missing_kernels;
};
OpCaseRun RunOpCase(const OpCase& op_case, Device device, uint32_t seed);

// Every tensor of `actual` matches the one of the same name in `expected` (same names,
// shapes, and values within `tolerance` as OpCase::tolerance; NaN matches only NaN).
::testing::AssertionResult RunsMatch(const OpCaseRun& expected, const OpCaseRun& actual,
                                     double tolerance);

// The case's backward against central differences on the CPU (nn/testing/gradient_check.h).
// A forward-only case passes ("forward only: <reason>"); a case whose instance has no
// backward without saying why in `forward_only`, or has one while saying it has none, fails.
::testing::AssertionResult CheckOpCaseGradients(const OpCase& op_case, uint32_t seed);

// The devices ops can run on in this build and machine, the CPU first; then every CUDA GPU
// when built with --config=cuda and one is usable. `no_cuda_reason` says why there is none.
struct AvailableDevices {
  std::vector<Device> devices;
  std::string no_cuda_reason;
};
AvailableDevices QueryAvailableDevices();

// Input helpers: float32 values drawn on the CPU from `seed`, then moved to `device`.
Tensor Normal(const Shape& shape, uint32_t seed, Device device, float stddev = 1.0f);
Tensor Uniform(const Shape& shape, uint32_t seed, Device device, float low, float high);
// |x| in [0.05, 2) with a random sign: at least the gradient check's eps away from 0, for
// ops with a kink there (ReLU).
Tensor AwayFromZero(const Shape& shape, uint32_t seed, Device device);
// A shuffled 0.1 * {0, 1, ..., n-1}: distinct values 0.1 apart, so a finite-difference step
// never changes which element is a maximum (max pooling).
Tensor DistinctValues(const Shape& shape, uint32_t seed, Device device);
// Uninitialized float32 (outputs) and zeros.
Tensor EmptyOn(const Shape& shape, Device device);
Tensor ZerosOn(const Shape& shape, Device device);

}  // namespace nn::testing

#endif  // NN_TESTING_OP_CASE_H_
