// Deterministic pseudo-random tensors, bit-identical to tools/pytorch_ref/deterministic.py,
// so parity tests can rebuild full-size models (ResNeXt-50: 25M parameters) from names
// instead of committing their weights. See that file for the formula.
#ifndef NN_TESTING_DETERMINISTIC_H_
#define NN_TESTING_DETERMINISTIC_H_

#include <string>
#include <vector>

#include "nn/module.h"
#include "nn/tensor.h"

namespace nn::testing {

uint32_t Fnv1a32(const std::string& text);
// u_i in [0, 1) for i < numel.
std::vector<float> Uniform01(const std::string& name, int64_t numel);
// (2u - 1) * scale, in float32 as the Python side computes it.
Tensor Symmetric(const std::string& name, const Shape& shape, float scale);
// Fills every entry of module.NamedState() as fill_module() does in Python.
void FillModule(Module& module, const std::string& prefix = "");
// [sum, sum of squares, dot with probe, `samples` sampled elements], in double.
std::vector<double> GradientSummary(const std::string& name, const Tensor& grad, int samples = 4);

}  // namespace nn::testing

#endif  // NN_TESTING_DETERMINISTIC_H_
