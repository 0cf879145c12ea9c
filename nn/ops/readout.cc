// Readout ops: argument checks and dispatch to nn/cpu/readout.h or nn/cuda/readout.h.
#include "nn/ops/readout.h"

#include <vector>

#include "nn/cpu/readout.h"
#include "nn/ops/internal/dispatch.h"
#include "nn/ops/internal/op_check.h"
#if NN_HAVE_CUDA
#include "nn/cuda/readout.h"
#endif

namespace nn {

using ops_internal::Data;
using ops_internal::Dispatch;
using ops_internal::MutableData;
using ops_internal::OpCheck;

namespace {

// `shape` viewed as [outer, length, inner] around `axis`.
struct AxisView {
  int axis = 0;
  int64_t outer = 1, length = 1, inner = 1;
};

AxisView ViewAround(const char* op, const Shape& shape, int axis) {
  NN_CHECK(shape.rank() >= 1 && axis >= -shape.rank() && axis < shape.rank())
      << op << ": axis " << axis << " out of range for " << shape;
  AxisView view;
  view.axis = shape.NormalizeAxis(axis);
  for (int d = 0; d < view.axis; ++d) view.outer *= shape.dim(d);
  view.length = shape.dim(view.axis);
  for (int d = view.axis + 1; d < shape.rank(); ++d) view.inner *= shape.dim(d);
  return view;
}

// `index` along an axis of `length`, with negative indices counted from the end.
int64_t NormalizeIndex(const char* op, int64_t index, const AxisView& view, const Shape& shape) {
  NN_CHECK(index >= -view.length && index < view.length)
      << op << ": index " << index << " out of range for axis " << view.axis << " of " << shape;
  return index < 0 ? index + view.length : index;
}

}  // namespace

Shape ReadoutOutputShape(const Shape& input, int axis) {
  NN_CHECK(input.rank() >= 1 && axis >= -input.rank() && axis < input.rank())
      << "ReadoutOutputShape: axis " << axis << " out of range for " << input;
  const int normalized = input.NormalizeAxis(axis);
  std::vector<int64_t> dims;
  for (int d = 0; d < input.rank(); ++d) {
    if (d != normalized) dims.push_back(input.dim(d));
  }
  return Shape(dims);
}

void MeanOverAxisForward(const Tensor& x, int axis, Tensor* y) {
  OpCheck check("MeanOverAxisForward");
  check.Arg("input", x);
  const AxisView view = ViewAround(check.op(), x.shape(), axis);
  NN_CHECK(view.length >= 1) << check.op() << ": mean over an empty axis " << view.axis << " of "
                             << x.shape();
  check.Output("output", y, ReadoutOutputShape(x.shape(), axis));
  Dispatch(check.op(), check.device(), &cpu::MeanOverAxisForward,
           NN_CUDA_KERNEL(MeanOverAxisForward), Data(x), view.outer, view.length, view.inner,
           MutableData(y));
}

void MeanOverAxisBackward(const Tensor& dy, int axis, Tensor* dx) {
  OpCheck check("MeanOverAxisBackward");
  NN_CHECK(dx != nullptr) << check.op() << ": input gradient is null";
  check.Arg("output gradient", dy);
  check.Arg("input gradient", *dx);
  const AxisView view = ViewAround(check.op(), dx->shape(), axis);
  NN_CHECK(view.length >= 1) << check.op() << ": mean over an empty axis " << view.axis << " of "
                             << dx->shape();
  check.Arg("output gradient", dy, ReadoutOutputShape(dx->shape(), axis));
  Dispatch(check.op(), check.device(), &cpu::MeanOverAxisBackward,
           NN_CUDA_KERNEL(MeanOverAxisBackward), Data(dy), view.outer, view.length, view.inner,
           MutableData(dx));
}

void SelectIndexForward(const Tensor& x, int axis, int64_t index, Tensor* y) {
  OpCheck check("SelectIndexForward");
  check.Arg("input", x);
  const AxisView view = ViewAround(check.op(), x.shape(), axis);
  const int64_t normalized = NormalizeIndex(check.op(), index, view, x.shape());
  check.Output("output", y, ReadoutOutputShape(x.shape(), axis));
  Dispatch(check.op(), check.device(), &cpu::SelectIndexForward, NN_CUDA_KERNEL(SelectIndexForward),
           Data(x), view.outer, view.length, view.inner, normalized, MutableData(y));
}

void SelectIndexBackward(const Tensor& dy, int axis, int64_t index, Tensor* dx) {
  OpCheck check("SelectIndexBackward");
  NN_CHECK(dx != nullptr) << check.op() << ": input gradient is null";
  check.Arg("output gradient", dy);
  check.Arg("input gradient", *dx);
  const AxisView view = ViewAround(check.op(), dx->shape(), axis);
  const int64_t normalized = NormalizeIndex(check.op(), index, view, dx->shape());
  check.Arg("output gradient", dy, ReadoutOutputShape(dx->shape(), axis));
  Dispatch(check.op(), check.device(), &cpu::SelectIndexBackward,
           NN_CUDA_KERNEL(SelectIndexBackward), Data(dy), view.outer, view.length, view.inner,
           normalized, MutableData(dx));
}

}  // namespace nn
