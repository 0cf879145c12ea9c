// Running op cases on a device, comparing runs, and the devices a build can test.
#include "nn/testing/op_case.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

#include "nn/ops/internal/dispatch.h"
#if NN_HAVE_CUDA
#include "nn/cuda/runtime.h"
#endif

namespace nn::testing {

OpCaseRun RunOpCase(const OpCase& op_case, Device device, uint32_t seed) {
  OpCaseRun run;
  // A kernel the device lacks is recorded and skipped instead of failing the process.
  ops_internal::MissingKernelRecorder recorder;
  OpInstance op = op_case.build(device, seed);
  const Tensor output = op.forward();
  run.tensors.emplace_back("output", output.To(Device::CPU()));
  std::vector<Tensor> grads;
  if (op.backward) {
    const Tensor output_grad = RandomNormal(output.shape(), seed + 1).To(device);
    std::vector<Tensor*> grad_ptrs;
    for (const auto& [name, input] : op.inputs) grads.push_back(ZerosOn(input.shape(), device));
    for (Tensor& grad : grads) grad_ptrs.push_back(&grad);
    op.backward(output_grad, grad_ptrs);
  }
  // State after backward, which may read it (e.g. a mask) but must not change it.
  for (const auto& [name, tensor] : op.state) {
    run.tensors.emplace_back(name, tensor.To(Device::CPU()));
  }
  for (size_t i = 0; i < grads.size(); ++i) {
    run.tensors.emplace_back("grad " + op.inputs[i].first, grads[i].To(Device::CPU()));
  }
  run.missing_kernels = recorder.missing();
  return run;
}

::testing::AssertionResult RunsMatch(const OpCaseRun& expected, const OpCaseRun& actual,
                                     double tolerance) {
  if (expected.tensors.size() != actual.tensors.size()) {
    return ::testing::AssertionFailure()
           << expected.tensors.size() << " tensors expected, got " << actual.tensors.size();
  }
  std::ostringstream failures;
  bool ok = true;
  for (size_t k = 0; k < expected.tensors.size(); ++k) {
    const auto& [name, want] = expected.tensors[k];
    const auto& [actual_name, got] = actual.tensors[k];
    if (name != actual_name || want.shape() != got.shape()) {
      return ::testing::AssertionFailure()
             << "tensor " << k << ": expected " << name << " " << want.shape() << ", got "
             << actual_name << " " << got.shape();
    }
    const float* w = want.data<float>();
    const float* g = got.data<float>();
    int64_t mismatches = 0, worst = -1;
    double worst_excess = 0;
    for (int64_t i = 0; i < want.numel(); ++i) {
      if (std::isnan(w[i]) || std::isnan(g[i])) {
        if (std::isnan(w[i]) != std::isnan(g[i])) ++mismatches, worst = i, worst_excess = INFINITY;
        continue;
      }
      const double error = std::abs(static_cast<double>(g[i]) - w[i]);
      const double allowed = tolerance * (1.0 + std::abs(static_cast<double>(w[i])));
      if (error > allowed) {
        ++mismatches;
        if (error / allowed > worst_excess) worst_excess = error / allowed, worst = i;
      }
    }
    if (mismatches > 0) {
      ok = false;
      failures << "\n  " << name << " " << want.shape() << ": " << mismatches << " of "
               << want.numel() << " elements differ; worst at " << worst << ": expected "
               << w[worst] << ", got " << g[worst];
    }
  }
  if (!ok) return ::testing::AssertionFailure() << "tolerance " << tolerance << failures.str();
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult CheckOpCaseGradients(const OpCase& op_case, uint32_t seed) {
  OpInstance op = op_case.build(Device::CPU(), seed);
  if (!op.backward) {
    if (!op_case.forward_only.empty()) {
      return ::testing::AssertionSuccess() << "forward only: " << op_case.forward_only;
    }
    return ::testing::AssertionFailure()
           << op_case.name << " has no backward; a forward-only case says why in forward_only";
  }
  if (!op_case.forward_only.empty()) {
    return ::testing::AssertionFailure()
           << op_case.name
           << " has a backward but says it is forward only: " << op_case.forward_only;
  }
  std::vector<Tensor*> inputs;
  for (auto& [name, input] : op.inputs) inputs.push_back(&input);
  ::testing::AssertionResult result =
      CheckGradients(inputs, op.forward, op.backward, op_case.gradient_check);
  if (!result) {
    result << "\n  inputs:";
    for (size_t i = 0; i < op.inputs.size(); ++i) result << " " << i << " " << op.inputs[i].first;
  }
  return result;
}

AvailableDevices QueryAvailableDevices() {
  AvailableDevices available;
  available.devices.push_back(Device::CPU());
#if NN_HAVE_CUDA
  const cuda::DeviceQuery query = cuda::QueryDevices();
  for (int i = 0; i < query.count; ++i) available.devices.push_back(Device::CUDA(i));
  if (query.count == 0) available.no_cuda_reason = "no usable CUDA GPU (" + query.error + ")";
#else
  available.no_cuda_reason = "this build has no CUDA backend (build with --config=cuda)";
#endif
  return available;
}

Tensor Normal(const Shape& shape, uint32_t seed, Device device, float stddev) {
  return RandomNormal(shape, seed, stddev).To(device);
}

Tensor Uniform(const Shape& shape, uint32_t seed, Device device, float low, float high) {
  return RandomUniform(shape, seed, low, high).To(device);
}

Tensor AwayFromZero(const Shape& shape, uint32_t seed, Device device) {
  Tensor x = RandomUniform(shape, seed, 0.05f, 2.0f);
  const Tensor sign = RandomUniform(shape, seed + 1, -1.0f, 1.0f);
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (sign.data<float>()[i] < 0) x.data<float>()[i] = -x.data<float>()[i];
  }
  return x.To(device);
}

Tensor DistinctValues(const Shape& shape, uint32_t seed, Device device) {
  std::vector<float> values(shape.numel());
  for (size_t i = 0; i < values.size(); ++i) values[i] = 0.1f * static_cast<float>(i);
  std::shuffle(values.begin(), values.end(), std::mt19937(seed));
  return Tensor::FromVector(shape, values).To(device);
}

Tensor EmptyOn(const Shape& shape, Device device) {
  return Tensor::Empty(shape, DType::kFloat32, device);
}

Tensor ZerosOn(const Shape& shape, Device device) {
  return Tensor::Zeros(shape, DType::kFloat32, device);
}

}  // namespace nn::testing
