// Elementwise ops: argument checks and dispatch to nn/cpu/elementwise.h or
// nn/cuda/elementwise.h.
#include "nn/ops/elementwise.h"

#include "nn/cpu/elementwise.h"
#include "nn/ops/internal/dispatch.h"
#include "nn/ops/internal/op_check.h"
#if NN_HAVE_CUDA
#include "nn/cuda/elementwise.h"
#endif

namespace nn {

using ops_internal::Data;
using ops_internal::Dispatch;
using ops_internal::MutableData;
using ops_internal::OpCheck;

void AddForward(const Tensor& a, const Tensor& b, Tensor* out) {
  OpCheck check("AddForward");
  check.Arg("a", a).Arg("b", b, a.shape()).Output("output", out, a.shape());
  Dispatch(check.op(), check.device(), &cpu::Add, NN_CUDA_KERNEL(Add), Data(a), Data(b),
           MutableData(out), a.numel());
}

void AddBackward(const Tensor& dout, Tensor* da, Tensor* db) {
  OpCheck check("AddBackward");
  check.Arg("output gradient", dout);
  check.Optional("a gradient", da, dout.shape()).Optional("b gradient", db, dout.shape());
  for (Tensor* grad : {da, db}) {
    if (grad == nullptr) continue;
    Dispatch(check.op(), check.device(), &cpu::Accumulate, NN_CUDA_KERNEL(Accumulate), Data(dout),
             MutableData(grad), dout.numel());
  }
}

}  // namespace nn
