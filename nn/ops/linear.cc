// Linear: argument checks (OpCheck) and device dispatch to the kernels in nn/cpu/linear.h
// or nn/cuda/linear.h (cuBLAS).
#include "nn/ops/linear.h"

#include <vector>

#include "nn/cpu/linear.h"
#include "nn/ops/internal/dispatch.h"
#include "nn/ops/internal/op_check.h"
#if NN_HAVE_CUDA
#include "nn/cuda/linear.h"
#endif

namespace nn {
namespace {

using ops_internal::Data;
using ops_internal::DataOrNull;
using ops_internal::Dispatch;
using ops_internal::MutableData;
using ops_internal::MutableDataOrNull;
using ops_internal::OpCheck;

// Rows of the [N, in] view of x: the product of all but its last dimension.
int64_t Rows(const Tensor& x) {
  int64_t rows = 1;
  for (int axis = 0; axis + 1 < x.rank(); ++axis) rows *= x.dim(axis);
  return rows;
}

}  // namespace

Shape LinearOutputShape(const Shape& x, const Shape& weight) {
  NN_CHECK(weight.rank() == 2) << "Linear: weight must be [out, in], got " << weight;
  NN_CHECK(x.rank() >= 1 && x.dim(-1) == weight.dim(1))
      << "Linear: input " << x << " does not end in in_features of weight " << weight;
  std::vector<int64_t> dims = x.ToVector();
  dims.back() = weight.dim(0);
  return Shape(dims);
}

void LinearForward(const Tensor& x, const Tensor& weight, const Tensor* bias, Tensor* y) {
  OpCheck check("LinearForward");
  check.Arg("input", x).Arg("weight", weight);
  const Shape y_shape = LinearOutputShape(x.shape(), weight.shape());
  const int64_t out = weight.dim(0), in = weight.dim(1);
  check.Optional("bias", bias, Shape({out})).Output("output", y, y_shape);
  NN_CHECK(!y->SharesStorageWith(x) && !y->SharesStorageWith(weight))
      << check.op() << ": output may not alias the input or the weight";
  Dispatch(check.op(), check.device(), &cpu::LinearForward, NN_CUDA_KERNEL(LinearForward), Data(x),
           Data(weight), DataOrNull(bias), Rows(x), in, out, MutableData(y));
}

void LinearBackward(const Tensor& dy, const Tensor& x, const Tensor& weight, Tensor* dx,
                    Tensor* dweight, Tensor* dbias) {
  OpCheck check("LinearBackward");
  check.Arg("input", x).Arg("weight", weight);
  check.Arg("output gradient", dy, LinearOutputShape(x.shape(), weight.shape()));
  const int64_t out = weight.dim(0), in = weight.dim(1);
  check.Optional("input gradient", dx, x.shape())
      .Optional("weight gradient", dweight, weight.shape())
      .Optional("bias gradient", dbias, Shape({out}));
  Dispatch(check.op(), check.device(), &cpu::LinearBackward, NN_CUDA_KERNEL(LinearBackward),
           Data(dy), Data(x), Data(weight), Rows(x), in, out, MutableDataOrNull(dx),
           MutableDataOrNull(dweight), MutableDataOrNull(dbias));
}

}  // namespace nn
