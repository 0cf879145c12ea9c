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
