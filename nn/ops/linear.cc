// Linear: argument checks and dispatch to the CPU kernels in nn/cpu/linear.h.
#include "nn/ops/linear.h"

#include <vector>

#include "nn/cpu/linear.h"

namespace nn {
namespace {

void CheckTensor(const char* op, const char* what, const Tensor& t, const Shape& shape) {
  NN_CHECK(t.defined()) << op << ": " << what << " is undefined";
  NN_CHECK(t.dtype() == DType::kFloat32 && t.device().is_cpu())
      << op << ": " << what << " must be float32 on the CPU (only a CPU kernel exists), got " << t;
  NN_CHECK(t.shape() == shape) << op << ": " << what << " " << t.shape() << ", expected " << shape;
}

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
  constexpr const char* kOp = "LinearForward";
  CheckTensor(kOp, "input", x, x.shape());
  CheckTensor(kOp, "weight", weight, weight.shape());
  const Shape y_shape = LinearOutputShape(x.shape(), weight.shape());
  const int64_t out = weight.dim(0), in = weight.dim(1);
  if (bias != nullptr) CheckTensor(kOp, "bias", *bias, Shape({out}));
  NN_CHECK(y != nullptr) << kOp << ": output is null";
  CheckTensor(kOp, "output", *y, y_shape);
  NN_CHECK(!y->SharesStorageWith(x) && !y->SharesStorageWith(weight))
      << kOp << ": output may not alias the input or the weight";
  cpu::LinearForward(x.data<float>(), weight.data<float>(),
                     bias != nullptr ? bias->data<float>() : nullptr, Rows(x), in, out,
                     y->data<float>());
}

void LinearBackward(const Tensor& dy, const Tensor& x, const Tensor& weight, Tensor* dx,
                    Tensor* dweight, Tensor* dbias) {
  constexpr const char* kOp = "LinearBackward";
  CheckTensor(kOp, "input", x, x.shape());
  CheckTensor(kOp, "weight", weight, weight.shape());
  CheckTensor(kOp, "output gradient", dy, LinearOutputShape(x.shape(), weight.shape()));
  const int64_t out = weight.dim(0), in = weight.dim(1);
  if (dx != nullptr) CheckTensor(kOp, "input gradient", *dx, x.shape());
  if (dweight != nullptr) CheckTensor(kOp, "weight gradient", *dweight, weight.shape());
  if (dbias != nullptr) CheckTensor(kOp, "bias gradient", *dbias, Shape({out}));
  cpu::LinearBackward(dy.data<float>(), x.data<float>(), weight.data<float>(), Rows(x), in, out,
                      dx != nullptr ? dx->data<float>() : nullptr,
                      dweight != nullptr ? dweight->data<float>() : nullptr,
                      dbias != nullptr ? dbias->data<float>() : nullptr);
}

}  // namespace nn
