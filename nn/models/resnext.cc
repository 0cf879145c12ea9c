// ResNeXt trunk and bottleneck blocks, training and fused inference paths.
#include "nn/models/resnext.h"

#include <memory>

#include "nn/ops/batch_norm.h"
#include "nn/ops/conv.h"
#include "nn/ops/elementwise.h"

namespace nn {
namespace {

std::unique_ptr<Conv2d> MakeConv(int64_t in, int64_t out, int kernel, int stride, int pad,
                                 int groups = 1) {
  Conv2dOptions options;
  options.in_channels = in;
  options.out_channels = out;
  options.kernel_h = options.kernel_w = kernel;
  options.params.stride_h = options.params.stride_w = stride;
  options.params.pad_h = options.params.pad_w = pad;
  options.params.groups = groups;
  options.bias = false;
  return std::make_unique<Conv2d>(options);
}

}  // namespace

// --- ConvBatchNormFold -----------------------------------------------------------------

void ConvBatchNormFold::FoldOnce() {
  // Double-checked: concurrent eval Forwards fold once; the release store publishes
  // scale_ and shift_ to every thread that then sees folded_ (acquire).
  if (folded_.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (folded_.load(std::memory_order_relaxed)) return;
  const int64_t channels = conv_->options().out_channels;
  Tensor scale = Tensor::Empty({channels}, DType::kFloat32, conv_->device());
  Tensor shift = Tensor::Empty({channels}, DType::kFloat32, conv_->device());
  FoldBatchNormIntoScaleShift(conv_->bias() ? &conv_->bias()->value : nullptr,
                              &bn_->weight()->value, &bn_->bias()->value, bn_->running_mean(),
                              bn_->running_var(), bn_->eps(), &scale, &shift);
  scale_ = std::move(scale);
  shift_ = std::move(shift);
  folded_.store(true, std::memory_order_release);
}

Tensor ConvBatchNormFold::Forward(const Tensor& input, const Tensor* residual, bool relu) {
  FoldOnce();
  const Conv2dParams& params = conv_->options().params;
  Tensor output =
      Tensor::Empty(Conv2dOutputShape(input.shape(), conv_->weight()->value.shape(), params),
                    DType::kFloat32, conv_->device());
  Conv2dEpilogue epilogue;
  epilogue.scale = &scale_;
  epilogue.residual = residual;
  epilogue.relu = relu;
  Conv2dForward(input, conv_->weight()->value, &shift_, params, &output, epilogue);
  return output;
}

// --- Bottleneck ------------------------------------------------------------------------

Bottleneck::Bottleneck(int64_t in_channels, int64_t planes, int stride, int groups,
                       int width_per_group) {
  // torchvision: width = int(planes * (base_width / 64.)) * groups.
  const int64_t width = planes * width_per_group / 64 * groups;
  const int64_t out_channels = planes * kExpansion;
  NN_CHECK_GT(width, 0) << "Bottleneck width for planes " << planes << ", width_per_group "
                        << width_per_group;
  // Registration order = torchvision's state_dict order.
  conv1_ = RegisterModule("conv1", MakeConv(in_channels, width, 1, 1, 0));
  bn1_ = RegisterModule("bn1", std::make_unique<BatchNorm2d>(width));
  conv2_ = RegisterModule("conv2", MakeConv(width, width, 3, stride, 1, groups));
  bn2_ = RegisterModule("bn2", std::make_unique<BatchNorm2d>(width));
  conv3_ = RegisterModule("conv3", MakeConv(width, out_channels, 1, 1, 0));
  bn3_ = RegisterModule("bn3", std::make_unique<BatchNorm2d>(out_channels));
  relu1_ = RegisterModule("relu", std::make_unique<ReLU>(/*inplace=*/true));
  relu2_ = RegisterModule("relu_2", std::make_unique<ReLU>(/*inplace=*/true));
  relu3_ = RegisterModule("relu_3", std::make_unique<ReLU>(/*inplace=*/true));
  if (stride != 1 || in_channels != out_channels) {
    auto downsample = std::make_unique<Sequential>();
    downsample_conv_ = downsample->Add(MakeConv(in_channels, out_channels, 1, stride, 0));
    downsample_bn_ = downsample->Add(std::make_unique<BatchNorm2d>(out_channels));
    RegisterModule("downsample", std::move(downsample));
    downsample_fold_ = std::make_unique<ConvBatchNormFold>(downsample_conv_, downsample_bn_);
  }
  fold1_ = std::make_unique<ConvBatchNormFold>(conv1_, bn1_);
  fold2_ = std::make_unique<ConvBatchNormFold>(conv2_, bn2_);
  fold3_ = std::make_unique<ConvBatchNormFold>(conv3_, bn3_);
}

void Bottleneck::OnStateChanged() {
  for (ConvBatchNormFold* fold :
       {fold1_.get(), fold2_.get(), fold3_.get(), downsample_fold_.get()}) {
    if (fold != nullptr) fold->Invalidate();
  }
}

Tensor Bottleneck::Forward(const Tensor& input) {
  if (!is_training()) return ForwardFolded(input);
  TrainingCall call(*this, "Bottleneck::Forward");
  Tensor out = relu1_->Forward(bn1_->Forward(conv1_->Forward(input)));
  out = relu2_->Forward(bn2_->Forward(conv2_->Forward(out)));
  out = bn3_->Forward(conv3_->Forward(out));
  const Tensor identity =
      downsample_conv_ ? downsample_bn_->Forward(downsample_conv_->Forward(input)) : input;
  AddForward(out, identity, &out);
  return relu3_->Forward(out);
}

Tensor Bottleneck::Backward(const Tensor& output_grad) {
  TrainingCall call(*this, "Bottleneck::Backward");
  // out = relu(bn3(conv3(...)) + identity): the sum's gradient flows to both branches.
  const Tensor sum_grad = relu3_->Backward(output_grad);
  Tensor grad = bn3_->Backward(sum_grad);
  grad = conv3_->Backward(grad);
  grad = conv2_->Backward(bn2_->Backward(relu2_->Backward(grad)));
  Tensor input_grad = conv1_->Backward(bn1_->Backward(relu1_->Backward(grad)));
  if (downsample_conv_) {
    const Tensor identity_grad = downsample_conv_->Backward(downsample_bn_->Backward(sum_grad));
    AddForward(input_grad, identity_grad, &input_grad);
  } else {
    AddForward(input_grad, sum_grad, &input_grad);
  }
  return input_grad;
}

Tensor Bottleneck::ForwardFolded(const Tensor& input) {
  Tensor out = fold1_->Forward(input, nullptr, /*relu=*/true);
  out = fold2_->Forward(out, nullptr, /*relu=*/true);
  const Tensor identity =
      downsample_fold_ ? downsample_fold_->Forward(input, nullptr, /*relu=*/false) : input;
  return fold3_->Forward(out, &identity, /*relu=*/true);
}

// --- ResNeXt ---------------------------------------------------------------------------

ResNeXt::ResNeXt(const ResNeXtOptions& options) : options_(options) {
  NN_CHECK_EQ(options.depths.size(), 4u) << "ResNeXt has four stages";
  int child = 0;
  auto name = [&](const char* torchvision_name) {
    return options_.sequential_names ? std::to_string(child++) : std::string(torchvision_name);
  };
  const int64_t base = options.base_width;
  conv1_ = RegisterModule(name("conv1"), MakeConv(3, base, 7, 2, 3));
  conv1_->set_needs_input_grad(options.input_grad);
  bn1_ = RegisterModule(name("bn1"), std::make_unique<BatchNorm2d>(base));
  relu_ = RegisterModule(name("relu"), std::make_unique<ReLU>(/*inplace=*/true));
  MaxPool2dParams pool;
  pool.kernel_h = pool.kernel_w = 3;
  pool.stride_h = pool.stride_w = 2;
  pool.pad_h = pool.pad_w = 1;
  maxpool_ = RegisterModule(name("maxpool"), std::make_unique<MaxPool2d>(pool));
  int64_t in_channels = base;
  const char* stage_names[] = {"layer1", "layer2", "layer3", "layer4"};
  for (int s = 0; s < 4; ++s) {
    const int64_t planes = base << s;
    auto stage = std::make_unique<Sequential>();
    for (int b = 0; b < options.depths[s]; ++b) {
      const int stride = (s > 0 && b == 0) ? 2 : 1;
      stage->Add(std::make_unique<Bottleneck>(in_channels, planes, stride, options.groups,
                                              options.width_per_group));
      in_channels = planes * Bottleneck::kExpansion;
    }
    stages_.push_back(RegisterModule(name(stage_names[s]), std::move(stage)));
  }
  if (options.num_classes > 0) {
    NN_CHECK(!options.sequential_names) << "a classifier head uses torchvision names";
    avgpool_ = RegisterModule("avgpool", std::make_unique<GlobalAvgPool2d>());
    fc_ = RegisterModule("fc", std::make_unique<Linear>(in_channels, options.num_classes));
  }
  stem_fold_ = std::make_unique<ConvBatchNormFold>(conv1_, bn1_);
}

void ResNeXt::OnStateChanged() {
  if (stem_fold_ != nullptr) stem_fold_->Invalidate();
}

Tensor ResNeXt::Forward(const Tensor& input) {
  NN_CHECK(input.rank() == 4 && input.dim(1) == 3)
      << "ResNeXt input " << input.shape() << ", expected [N, 3, H, W]";
  TrainingCall call(*this, "ResNeXt::Forward");
  Tensor x;
  if (is_training()) {
    x = relu_->Forward(bn1_->Forward(conv1_->Forward(input)));
  } else {
    x = stem_fold_->Forward(input, nullptr, /*relu=*/true);
  }
  x = maxpool_->Forward(x);
  for (Sequential* stage : stages_) x = stage->Forward(x);
  if (fc_ == nullptr) return x;
  x = avgpool_->Forward(x);
  if (is_training()) pooled_shape_ = x.shape();
  return fc_->Forward(x.Reshape({x.dim(0), x.dim(1)}));
}

Tensor ResNeXt::Backward(const Tensor& output_grad) {
  TrainingCall call(*this, "ResNeXt::Backward");
  Tensor grad = output_grad;
  if (fc_ != nullptr) {
    NN_CHECK_EQ(pooled_shape_.rank(), 4) << "ResNeXt::Backward without a training-mode Forward";
    grad = avgpool_->Backward(fc_->Backward(grad).Reshape(pooled_shape_));
  }
  for (auto it = stages_.rbegin(); it != stages_.rend(); ++it) grad = (*it)->Backward(grad);
  grad = maxpool_->Backward(grad);
  return conv1_->Backward(bn1_->Backward(relu_->Backward(grad)));
}

}  // namespace nn
