// Elementwise CPU kernels, vectorized by Eigen.
#include "nn/cpu/elementwise.h"

#include <Eigen/Core>

namespace nn::cpu {
namespace {

using ConstVector = Eigen::Map<const Eigen::ArrayXf>;
using Vector = Eigen::Map<Eigen::ArrayXf>;

}  // namespace

void Add(const float* a, const float* b, float* out, int64_t n) {
  Vector(out, n) = ConstVector(a, n) + ConstVector(b, n);
}

void Accumulate(const float* src, float* dst, int64_t n) { Vector(dst, n) += ConstVector(src, n); }

}  // namespace nn::cpu
