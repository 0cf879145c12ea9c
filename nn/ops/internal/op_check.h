// Argument checks shared by every op family: one place that says what a valid tensor
// argument is (defined, float32, the expected shape, on the op's device), so every op
// fails the same way, naming the op, the argument and what was wrong.
//
//   OpCheck check("LinearForward");
//   check.Arg("input", x);                          // fixes the op's device
//   check.Arg("weight", weight, Shape({out, in}));
//   check.Optional("bias", bias, Shape({out}));     // null is allowed
//   check.Output("output", y, y_shape);             // non-null, then as Arg
//   Dispatch(check.op(), check.device(), &cpu::LinearForward, NN_CUDA_KERNEL(LinearForward),
//            Data(x), Data(weight), DataOrNull(bias), ...);
#ifndef NN_OPS_INTERNAL_OP_CHECK_H_
#define NN_OPS_INTERNAL_OP_CHECK_H_

#include "nn/check.h"
#include "nn/tensor.h"

namespace nn::ops_internal {

class OpCheck {
 public:
  explicit OpCheck(const char* op) : op_(op) {}

  const char* op() const { return op_; }
  // The device of the first tensor checked (the CPU when none was).
  Device device() const { return device_; }

  // `t` is defined, float32, on the same device as the tensors checked before it. The first
  // argument's `what` names the op's device in later messages, so it must outlive the
  // OpCheck (a string literal); later ones may be temporaries.
  OpCheck& Arg(const char* what, const Tensor& t) {
    NN_CHECK(t.defined()) << op_ << ": " << what << " is undefined";
    NN_CHECK(t.dtype() == DType::kFloat32) << op_ << ": " << what << " must be float32, got " << t;
    if (!has_device_) {
      device_ = t.device();
      has_device_ = true;
      first_ = what;
    }
    NN_CHECK(t.device() == device_) << op_ << ": " << what << " is on " << t.device() << " but "
                                    << first_ << " is on " << device_ << " (" << t << ")";
    return *this;
  }
  // As Arg, and `t` has `shape`.
  OpCheck& Arg(const char* what, const Tensor& t, const Shape& shape) {
    Arg(what, t);
    NN_CHECK(t.shape() == shape) << op_ << ": " << what << " " << t.shape() << ", expected "
                                 << shape;
    return *this;
  }
  // As Arg when `t` is not null.
  OpCheck& Optional(const char* what, const Tensor* t, const Shape& shape) {
    if (t != nullptr) Arg(what, *t, shape);
    return *this;
  }
  OpCheck& Optional(const char* what, const Tensor* t) {
    if (t != nullptr) Arg(what, *t);
    return *this;
  }
  // An output: not null, then as Arg.
  OpCheck& Output(const char* what, const Tensor* t, const Shape& shape) {
    NN_CHECK(t != nullptr) << op_ << ": " << what << " is null";
    return Arg(what, *t, shape);
  }

 private:
  const char* op_;
  const char* first_ = "";
  Device device_ = Device::CPU();
  bool has_device_ = false;
};

// Untyped-to-float views of checked float32 tensors, valid on any device (device pointers
// for CUDA tensors), for passing to kernels.
inline const float* Data(const Tensor& t) { return static_cast<const float*>(t.raw_data()); }
inline float* MutableData(Tensor& t) { return static_cast<float*>(t.raw_data()); }
inline float* MutableData(Tensor* t) { return static_cast<float*>(t->raw_data()); }
inline const float* DataOrNull(const Tensor* t) { return t != nullptr ? Data(*t) : nullptr; }
inline float* MutableDataOrNull(Tensor* t) { return t != nullptr ? MutableData(t) : nullptr; }

}  // namespace nn::ops_internal

#endif  // NN_OPS_INTERNAL_OP_CHECK_H_
