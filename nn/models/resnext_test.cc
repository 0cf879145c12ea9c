#include "nn/models/resnext.h"

#include <cmath>
#include <string>

#include "gtest/gtest.h"
#include "nn/ops/conv.h"
#include "nn/testing/gradient_check.h"

namespace nn {
namespace {

using testing::CheckGradients;
using testing::GradientCheckOptions;
using testing::RandomNormal;

// Central differences through a whole bottleneck block in training mode (batch
// statistics recomputed at every forward), for its input and every parameter.
void CheckBottleneckGradients(int64_t in_channels, int64_t planes, int stride, int groups,
                              int width_per_group, const Shape& input_shape) {
  Bottleneck block(in_channels, planes, stride, groups, width_per_group);
  block.Train();
  Tensor input = RandomNormal(input_shape, 11);
  std::vector<Tensor*> inputs = {&input};
  std::vector<Parameter*> params;
  for (auto& [name, p] : block.NamedParameters()) {
    p->value.CopyFrom(
        RandomNormal(p->value.shape(), static_cast<uint32_t>(inputs.size()) * 7, 0.5f));
    inputs.push_back(&p->value);
    params.push_back(p);
  }
  GradientCheckOptions options;
  options.max_elements_per_input = 24;
  options.skip_nonsmooth = true;
  options.epsilon = 2e-3f;
  options.relative_tolerance = 2e-2;
  options.absolute_tolerance = 5e-3;
  EXPECT_TRUE(CheckGradients(
      inputs, [&] { return block.Forward(input).Clone(); },
      [&](const Tensor& dy, const std::vector<Tensor*>& grads) {
        block.ZeroGrad();
        block.Forward(input);
        grads[0]->CopyFrom(block.Backward(dy));
        for (size_t i = 0; i < params.size(); ++i) grads[i + 1]->CopyFrom(params[i]->grad);
      },
      options));
}

TEST(BottleneckTest, GradientsWithDownsampleAndGroups) {
  CheckBottleneckGradients(16, 8, 2, 2, 32, {3, 16, 6, 6});
}

TEST(BottleneckTest, GradientsIdentityShortcutTinySpatial) {
  CheckBottleneckGradients(32, 8, 1, 4, 32, {6, 32, 2, 2});
}

TEST(BottleneckTest, GradientsStrideTwoToTwoByTwo) {
  CheckBottleneckGradients(16, 8, 2, 4, 32, {6, 16, 4, 4});
}

}  // namespace
}  // namespace nn

namespace nn {
namespace {

// Eval mode folds batch norm into the convolutions' epilogues; changing the parameters
// through NamedState (as a checkpoint load does) must change the output accordingly.
TEST(ResNeXtTest, FoldedInferenceFollowsParameterChanges) {
  ResNeXtOptions options;
  options.depths = {1, 1, 1, 1};
  options.groups = 4;
  options.width_per_group = 16;
  options.base_width = 8;
  options.num_classes = 3;
  ResNeXt a(options), b(options);
  a.Eval();
  b.Eval();
  const Tensor x = RandomNormal({2, 3, 32, 32}, 3);
  const float before = a.Forward(x).data<float>()[0];
  auto state_a = a.NamedState();
  auto state_b = b.NamedState();
  for (size_t i = 0; i < state_a.size(); ++i) state_a[i].second->CopyFrom(*state_b[i].second);
  const Tensor after = a.Forward(x);
  const Tensor expected = b.Forward(x);
  EXPECT_NE(before, after.data<float>()[0]);
  for (int64_t i = 0; i < after.numel(); ++i) {
    EXPECT_EQ(after.data<float>()[i], expected.data<float>()[i]);
  }
}

}  // namespace
}  // namespace nn

namespace nn {
namespace {

const Tensor& StateTensor(Module& module, const std::string& name) {
  for (auto& [n, tensor] : module.NamedState()) {
    if (n == name) return *tensor;
  }
  NN_CHECK(false) << "no state entry " << name;
  return *module.NamedState()[0].second;
}

// The eval-mode fold as resnext.cc computed it at every Forward before the fold was cached
// (scale and shift in double, rounded once), applied through the convolution's epilogue.
Tensor ReferenceConvBatchNorm(Module& block, const std::string& conv, const std::string& bn,
                              const Conv2dParams& params, const Tensor& input,
                              const Tensor* residual, bool relu) {
  const Tensor& weight = StateTensor(block, conv + ".weight");
  const float* gamma = StateTensor(block, bn + ".weight").data<float>();
  const float* beta = StateTensor(block, bn + ".bias").data<float>();
  const float* mean = StateTensor(block, bn + ".running_mean").data<float>();
  const float* var = StateTensor(block, bn + ".running_var").data<float>();
  const int64_t channels = weight.dim(0);
  Tensor scale = Tensor::Empty({channels}), shift = Tensor::Empty({channels});
  for (int64_t c = 0; c < channels; ++c) {
    const double s = gamma[c] / std::sqrt(static_cast<double>(var[c]) + 1e-5f);
    scale.data<float>()[c] = static_cast<float>(s);
    shift.data<float>()[c] = static_cast<float>(beta[c] + (0.0 - mean[c]) * s);
  }
  Tensor output = Tensor::Empty(Conv2dOutputShape(input.shape(), weight.shape(), params));
  Conv2dEpilogue epilogue;
  epilogue.scale = &scale;
  epilogue.residual = residual;
  epilogue.relu = relu;
  Conv2dForward(input, weight, &shift, params, &output, epilogue);
  return output;
}

void ExpectBitIdentical(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.shape(), b.shape());
  for (int64_t i = 0; i < a.numel(); ++i) ASSERT_EQ(a.data<float>()[i], b.data<float>()[i]) << i;
}

void RandomizeState(Module& module, uint32_t seed) {
  for (auto& [name, tensor] : module.NamedState()) {
    if (name.find("running_var") != std::string::npos) {
      tensor->CopyFrom(testing::RandomUniform(tensor->shape(), seed++, 0.5f, 2.0f));
    } else if (name.find("num_batches") == std::string::npos) {
      tensor->CopyFrom(RandomNormal(tensor->shape(), seed++, 0.5f));
    }
  }
}

TEST(ResNeXtTest, CachedFoldIsBitIdenticalToThePerCallFold) {
  // 16 -> 32 channels (width 8 * 32 / 64 * 4 = 16, 4 groups), stride 2: a downsample.
  Bottleneck block(16, 8, 2, 4, 32);
  RandomizeState(block, 1);
  block.Eval();
  const Tensor x = RandomNormal({2, 16, 7, 7}, 2);
  Conv2dParams one;  // 1x1, stride 1
  Conv2dParams three;
  three.stride_h = three.stride_w = 2;
  three.pad_h = three.pad_w = 1;
  three.groups = 4;
  Conv2dParams down;
  down.stride_h = down.stride_w = 2;
  Tensor out = ReferenceConvBatchNorm(block, "conv1", "bn1", one, x, nullptr, true);
  out = ReferenceConvBatchNorm(block, "conv2", "bn2", three, out, nullptr, true);
  const Tensor identity =
      ReferenceConvBatchNorm(block, "downsample.0", "downsample.1", down, x, nullptr, false);
  const Tensor expected = ReferenceConvBatchNorm(block, "conv3", "bn3", one, out, &identity, true);
  ExpectBitIdentical(block.Forward(x), expected);
  ExpectBitIdentical(block.Forward(x), expected);  // from the cache
}

TEST(ResNeXtTest, FoldIsCachedUntilTheStateChanges) {
  Bottleneck block(32, 8, 1, 4, 32);
  RandomizeState(block, 3);
  Tensor* running_var = nullptr;
  for (auto& [name, tensor] : block.NamedState()) {
    if (name == "bn1.running_var") running_var = tensor;
  }
  ASSERT_NE(running_var, nullptr);
  block.Eval();
  const Tensor x = RandomNormal({2, 32, 5, 5}, 4);
  const Tensor first = block.Forward(x).Clone();
  running_var->Fill(9.0f);  // behind the module's back: the fold is not recomputed
  ExpectBitIdentical(block.Forward(x), first);
  block.NotifyStateChanged();
  const Tensor refolded = block.Forward(x).Clone();
  EXPECT_NE(refolded.data<float>()[0], first.data<float>()[0]);
  running_var->Fill(1.0f);
  block.Train();  // a mode change refolds too (training Forwards do not use the fold)
  block.Eval();
  const Tensor after_mode_change = block.Forward(x).Clone();
  EXPECT_NE(after_mode_change.data<float>()[0], refolded.data<float>()[0]);
  running_var->Fill(9.0f);
  block.To(Device::CPU());  // so does a move
  ExpectBitIdentical(block.Forward(x), refolded);
}

}  // namespace
}  // namespace nn
