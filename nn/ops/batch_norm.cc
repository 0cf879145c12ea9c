// BatchNorm2d: argument checks (OpCheck) and device dispatch to the kernels in
// nn/cpu/batch_norm.h or nn/cuda/batch_norm.h.
#include "nn/ops/batch_norm.h"

#include "nn/cpu/batch_norm.h"
#include "nn/ops/internal/dispatch.h"
#include "nn/ops/internal/op_check.h"
#if NN_HAVE_CUDA
#include "nn/cuda/batch_norm.h"
#endif

namespace nn {

using ops_internal::Data;
using ops_internal::DataOrNull;
using ops_internal::Dispatch;
using ops_internal::MutableData;
using ops_internal::MutableDataOrNull;
using ops_internal::OpCheck;

BatchNormCache BatchNorm2dForward(const Tensor& x, const Tensor* weight, const Tensor* bias,
                                  Tensor* running_mean, Tensor* running_var,
                                  const BatchNormOptions& options, Tensor* y) {
  OpCheck check("BatchNorm2dForward");
  NN_CHECK(x.rank() == 4) << check.op() << ": input must be NCHW, got " << x.shape();
  const Shape channel_shape({x.dim(1)});
  check.Arg("input", x).Output("output", y, x.shape());
  check.Optional("weight", weight, channel_shape).Optional("bias", bias, channel_shape);
  NN_CHECK((running_mean == nullptr) == (running_var == nullptr))
      << check.op() << ": give both running_mean and running_var or neither";
  check.Optional("running_mean", running_mean, channel_shape)
      .Optional("running_var", running_var, channel_shape);
  NN_CHECK(options.eps > 0) << check.op() << ": eps " << options.eps << " must be positive";

  const int64_t batch = x.dim(0), channels = x.dim(1), spatial = x.dim(2) * x.dim(3);
  BatchNormCache cache;
  cache.mean = Tensor::Empty(channel_shape, DType::kFloat32, check.device());
  cache.inv_std = Tensor::Empty(channel_shape, DType::kFloat32, check.device());
  cache.training = options.training;
  if (options.training) {
    NN_CHECK(batch * spatial > 1) << check.op()
                                  << ": training needs more than 1 value per channel, input "
                                  << x.shape();
    Dispatch(check.op(), check.device(), &cpu::BatchNorm2dTrainingForward,
             NN_CUDA_KERNEL(BatchNorm2dTrainingForward), Data(x), DataOrNull(weight),
             DataOrNull(bias), batch, channels, spatial, options.momentum, options.eps,
             MutableDataOrNull(running_mean), MutableDataOrNull(running_var), MutableData(y),
             MutableData(cache.mean), MutableData(cache.inv_std));
  } else {
    NN_CHECK(running_mean != nullptr) << check.op() << ": eval mode needs running statistics";
    Dispatch(check.op(), check.device(), &cpu::BatchNorm2dInferenceForward,
             NN_CUDA_KERNEL(BatchNorm2dInferenceForward), Data(x), DataOrNull(weight),
             DataOrNull(bias), Data(*running_mean), Data(*running_var), batch, channels, spatial,
             options.eps, MutableData(y), MutableData(cache.mean), MutableData(cache.inv_std));
  }
  return cache;
}

void BatchNorm2dBackward(const Tensor& dy, const Tensor& x, const Tensor* weight,
                         const BatchNormCache& cache, Tensor* dx, Tensor* dweight, Tensor* dbias) {
  OpCheck check("BatchNorm2dBackward");
  NN_CHECK(x.rank() == 4) << check.op() << ": input must be NCHW, got " << x.shape();
  const Shape channel_shape({x.dim(1)});
  check.Arg("input", x).Arg("output gradient", dy, x.shape());
  check.Arg("cache.mean", cache.mean, channel_shape)
      .Arg("cache.inv_std", cache.inv_std, channel_shape);
  check.Optional("weight", weight, channel_shape);
  check.Optional("input gradient", dx, x.shape())
      .Optional("weight gradient", dweight, channel_shape)
      .Optional("bias gradient", dbias, channel_shape);
  if (dx == nullptr && dweight == nullptr && dbias == nullptr) return;
  Dispatch(check.op(), check.device(), &cpu::BatchNorm2dBackward,
           NN_CUDA_KERNEL(BatchNorm2dBackward), Data(dy), Data(x), DataOrNull(weight),
           Data(cache.mean), Data(cache.inv_std), x.dim(0), x.dim(1), x.dim(2) * x.dim(3),
           cache.training, MutableDataOrNull(dx), MutableDataOrNull(dweight),
           MutableDataOrNull(dbias));
}

void FoldBatchNormIntoConv(const Tensor& conv_weight, const Tensor* conv_bias,
                           const Tensor* bn_weight, const Tensor* bn_bias,
                           const Tensor& running_mean, const Tensor& running_var, float eps,
                           Tensor* folded_weight, Tensor* folded_bias) {
  OpCheck check("FoldBatchNormIntoConv");
  NN_CHECK(conv_weight.rank() == 4)
      << check.op() << ": conv weight must be [Cout, Cin/groups, KH, KW], got "
      << conv_weight.shape();
  const Shape channel_shape({conv_weight.dim(0)});
  check.Arg("conv weight", conv_weight).Optional("conv bias", conv_bias, channel_shape);
  check.Optional("bn weight", bn_weight, channel_shape).Optional("bn bias", bn_bias, channel_shape);
  check.Arg("running_mean", running_mean, channel_shape)
      .Arg("running_var", running_var, channel_shape);
  NN_CHECK(folded_weight != nullptr && folded_bias != nullptr) << check.op() << ": null output";
  check.Arg("folded weight", *folded_weight, conv_weight.shape())
      .Arg("folded bias", *folded_bias, channel_shape);
  NN_CHECK(eps > 0) << check.op() << ": eps " << eps << " must be positive";
  const int64_t out_channels = conv_weight.dim(0);
  Dispatch(check.op(), check.device(), &cpu::FoldBatchNormIntoConv,
           NN_CUDA_KERNEL(FoldBatchNormIntoConv), Data(conv_weight), DataOrNull(conv_bias),
           out_channels, out_channels > 0 ? conv_weight.numel() / out_channels : 0,
           DataOrNull(bn_weight), DataOrNull(bn_bias), Data(running_mean), Data(running_var), eps,
           MutableData(folded_weight), MutableData(folded_bias));
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
  ops_internal::Dispatch(check.op(), check.device(), &cpu::FoldBatchNormIntoScaleShift,
                         NN_CUDA_KERNEL(FoldBatchNormIntoScaleShift), DataOrNull(conv_bias),
                         DataOrNull(bn_weight), DataOrNull(bn_bias), Data(running_mean),
                         Data(running_var), channel_shape.dim(0), eps, MutableData(scale),
                         MutableData(shift));
}

}  // namespace nn
