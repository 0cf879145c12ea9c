// BatchNorm2d: argument checks and dispatch to the CPU kernels in nn/cpu/batch_norm.h.
#include "nn/ops/batch_norm.h"

#include "nn/cpu/batch_norm.h"
#include "nn/ops/internal/dispatch.h"
#include "nn/ops/internal/op_check.h"

namespace nn {
namespace {

// A float32 CPU tensor of `shape`; `what` names it in the failure message.
void CheckTensor(const char* op, const char* what, const Tensor& t, const Shape& shape) {
  NN_CHECK(t.defined()) << op << ": " << what << " is undefined";
  NN_CHECK(t.dtype() == DType::kFloat32 && t.device().is_cpu())
      << op << ": " << what << " must be float32 on the CPU (only a CPU kernel exists), got " << t;
  NN_CHECK(t.shape() == shape) << op << ": " << what << " " << t.shape() << ", expected " << shape;
}

const float* DataOrNull(const Tensor* t) { return t != nullptr ? t->data<float>() : nullptr; }
float* MutableDataOrNull(Tensor* t) { return t != nullptr ? t->data<float>() : nullptr; }

}  // namespace

BatchNormCache BatchNorm2dForward(const Tensor& x, const Tensor* weight, const Tensor* bias,
                                  Tensor* running_mean, Tensor* running_var,
                                  const BatchNormOptions& options, Tensor* y) {
  constexpr const char* kOp = "BatchNorm2dForward";
  NN_CHECK(x.rank() == 4) << kOp << ": input must be NCHW, got " << x.shape();
  CheckTensor(kOp, "input", x, x.shape());
  const Shape channel_shape({x.dim(1)});
  NN_CHECK(y != nullptr) << kOp << ": output is null";
  CheckTensor(kOp, "output", *y, x.shape());
  if (weight != nullptr) CheckTensor(kOp, "weight", *weight, channel_shape);
  if (bias != nullptr) CheckTensor(kOp, "bias", *bias, channel_shape);
  NN_CHECK((running_mean == nullptr) == (running_var == nullptr))
      << kOp << ": give both running_mean and running_var or neither";
  if (running_mean != nullptr) {
    CheckTensor(kOp, "running_mean", *running_mean, channel_shape);
    CheckTensor(kOp, "running_var", *running_var, channel_shape);
  }
  NN_CHECK(options.eps > 0) << kOp << ": eps " << options.eps << " must be positive";

  const int64_t batch = x.dim(0), channels = x.dim(1), spatial = x.dim(2) * x.dim(3);
  BatchNormCache cache;
  cache.mean = Tensor::Empty(channel_shape);
  cache.inv_std = Tensor::Empty(channel_shape);
  cache.training = options.training;
  if (options.training) {
    NN_CHECK(batch * spatial > 1) << kOp << ": training needs more than 1 value per channel, input "
                                  << x.shape();
    cpu::BatchNorm2dTrainingForward(x.data<float>(), DataOrNull(weight), DataOrNull(bias), batch,
                                    channels, spatial, options.momentum, options.eps,
                                    MutableDataOrNull(running_mean), MutableDataOrNull(running_var),
                                    y->data<float>(), cache.mean.data<float>(),
                                    cache.inv_std.data<float>());
  } else {
    NN_CHECK(running_mean != nullptr) << kOp << ": eval mode needs running statistics";
    cpu::BatchNorm2dInferenceForward(x.data<float>(), DataOrNull(weight), DataOrNull(bias),
                                     running_mean->data<float>(), running_var->data<float>(), batch,
                                     channels, spatial, options.eps, y->data<float>(),
                                     cache.mean.data<float>(), cache.inv_std.data<float>());
  }
  return cache;
}

void BatchNorm2dBackward(const Tensor& dy, const Tensor& x, const Tensor* weight,
                         const BatchNormCache& cache, Tensor* dx, Tensor* dweight, Tensor* dbias) {
  constexpr const char* kOp = "BatchNorm2dBackward";
  NN_CHECK(x.rank() == 4) << kOp << ": input must be NCHW, got " << x.shape();
  CheckTensor(kOp, "input", x, x.shape());
  CheckTensor(kOp, "output gradient", dy, x.shape());
  const Shape channel_shape({x.dim(1)});
  CheckTensor(kOp, "cache.mean", cache.mean, channel_shape);
  CheckTensor(kOp, "cache.inv_std", cache.inv_std, channel_shape);
  if (weight != nullptr) CheckTensor(kOp, "weight", *weight, channel_shape);
  if (dx != nullptr) CheckTensor(kOp, "input gradient", *dx, x.shape());
  if (dweight != nullptr) CheckTensor(kOp, "weight gradient", *dweight, channel_shape);
  if (dbias != nullptr) CheckTensor(kOp, "bias gradient", *dbias, channel_shape);
  if (dx == nullptr && dweight == nullptr && dbias == nullptr) return;
  cpu::BatchNorm2dBackward(dy.data<float>(), x.data<float>(), DataOrNull(weight),
                           cache.mean.data<float>(), cache.inv_std.data<float>(), x.dim(0),
                           x.dim(1), x.dim(2) * x.dim(3), cache.training, MutableDataOrNull(dx),
                           MutableDataOrNull(dweight), MutableDataOrNull(dbias));
}

void FoldBatchNormIntoConv(const Tensor& conv_weight, const Tensor* conv_bias,
                           const Tensor* bn_weight, const Tensor* bn_bias,
                           const Tensor& running_mean, const Tensor& running_var, float eps,
                           Tensor* folded_weight, Tensor* folded_bias) {
  constexpr const char* kOp = "FoldBatchNormIntoConv";
  NN_CHECK(conv_weight.rank() == 4)
      << kOp << ": conv weight must be [Cout, Cin/groups, KH, KW], got " << conv_weight.shape();
  CheckTensor(kOp, "conv weight", conv_weight, conv_weight.shape());
  const Shape channel_shape({conv_weight.dim(0)});
  if (conv_bias != nullptr) CheckTensor(kOp, "conv bias", *conv_bias, channel_shape);
  if (bn_weight != nullptr) CheckTensor(kOp, "bn weight", *bn_weight, channel_shape);
  if (bn_bias != nullptr) CheckTensor(kOp, "bn bias", *bn_bias, channel_shape);
  CheckTensor(kOp, "running_mean", running_mean, channel_shape);
  CheckTensor(kOp, "running_var", running_var, channel_shape);
  NN_CHECK(folded_weight != nullptr && folded_bias != nullptr) << kOp << ": null output";
  CheckTensor(kOp, "folded weight", *folded_weight, conv_weight.shape());
  CheckTensor(kOp, "folded bias", *folded_bias, channel_shape);
  NN_CHECK(eps > 0) << kOp << ": eps " << eps << " must be positive";
  const int64_t out_channels = conv_weight.dim(0);
  cpu::FoldBatchNormIntoConv(conv_weight.data<float>(), DataOrNull(conv_bias), out_channels,
                             out_channels > 0 ? conv_weight.numel() / out_channels : 0,
                             DataOrNull(bn_weight), DataOrNull(bn_bias), running_mean.data<float>(),
                             running_var.data<float>(), eps, folded_weight->data<float>(),
                             folded_bias->data<float>());
}

void FoldBatchNormIntoScaleShift(const Tensor* conv_bias, const Tensor* bn_weight,
                                 const Tensor* bn_bias, const Tensor& running_mean,
                                 const Tensor& running_var, float eps, Tensor* scale,
                                 Tensor* shift) {
  ops_internal::OpCheck check("FoldBatchNormIntoScaleShift");
  check.Arg("running_mean", running_mean);
  NN_CHECK(running_mean.rank() == 1)
      << check.op() << ": running_mean must be [C], got " << running_mean.shape();
  const Shape channel_shape = running_mean.shape();
  check.Arg("running_var", running_var, channel_shape);
  check.Optional("conv bias", conv_bias, channel_shape);
  check.Optional("bn weight", bn_weight, channel_shape);
  check.Optional("bn bias", bn_bias, channel_shape);
  check.Output("scale", scale, channel_shape).Output("shift", shift, channel_shape);
  NN_CHECK(eps > 0) << check.op() << ": eps " << eps << " must be positive";
  using ops_internal::Data;
  using ops_internal::DataOrNull;
  using ops_internal::MutableData;
  ops_internal::Dispatch(check.op(), check.device(), &cpu::FoldBatchNormIntoScaleShift, nullptr,
                         DataOrNull(conv_bias), DataOrNull(bn_weight), DataOrNull(bn_bias),
                         Data(running_mean), Data(running_var), channel_shape.dim(0), eps,
                         MutableData(scale), MutableData(shift));
}

}  // namespace nn
