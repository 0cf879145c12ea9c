#include "nn/models/resnext.h"

#include "gtest/gtest.h"
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
    p->value.CopyFrom(RandomNormal(p->value.shape(), static_cast<uint32_t>(inputs.size()) * 7, 0.5f));
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
