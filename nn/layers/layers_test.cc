// Layer behaviour that the ops' tests do not cover: what a layer keeps between Forward and
// Backward (training mode only), following replaced parameter storage, batch counting.
#include "gtest/gtest.h"
#include "nn/layers/batch_norm2d.h"
#include "nn/layers/conv2d.h"
#include "nn/layers/linear.h"
#include "nn/layers/lstm.h"
#include "nn/layers/pooling.h"
#include "nn/testing/gradient_check.h"

namespace nn {
namespace {

using testing::RandomNormal;

Conv2dOptions SmallConv() {
  Conv2dOptions options;
  options.in_channels = 2;
  options.out_channels = 3;
  options.kernel_h = options.kernel_w = 3;
  options.params.pad_h = options.params.pad_w = 1;
  return options;
}

TEST(LayersDeathTest, BackwardNeedsATrainingModeForwardInTheSameMode) {
  const Tensor x = RandomNormal({1, 2, 4, 4}, 1);
  Conv2d conv(SmallConv());
  conv.Eval();
  const Tensor y = conv.Forward(x);  // keeps nothing
  EXPECT_DEATH(conv.Backward(y), "Conv2d::Backward without a training-mode Forward");
  conv.Train();
  conv.Forward(x);
  conv.Eval();  // a mode change drops what the training Forward kept
  EXPECT_DEATH(conv.Backward(y), "Conv2d::Backward without a training-mode Forward");

  MaxPool2dParams params;
  params.kernel_h = params.kernel_w = 2;
  params.stride_h = params.stride_w = 2;
  MaxPool2d pool(params);
  pool.Eval();
  const Tensor pooled = pool.Forward(x);
  EXPECT_DEATH(pool.Backward(pooled), "MaxPool2d::Backward without a training-mode Forward");
  GlobalAvgPool2d average;
  average.Eval();
  const Tensor averaged = average.Forward(x);
  EXPECT_DEATH(average.Backward(averaged),
               "GlobalAvgPool2d::Backward before a training-mode Forward");
}

TEST(LayersTest, TrainingForwardThenBackwardStillWorks) {
  Linear linear(3, 2);
  const Tensor x = RandomNormal({4, 3}, 2);
  const Tensor y = linear.Forward(x);
  const Tensor dx = linear.Backward(Tensor::Full(y.shape(), 1.0f));
  EXPECT_EQ(dx.shape(), x.shape());
  // dL/db = sum over the batch of dy = 4 per output.
  EXPECT_EQ(linear.bias()->grad.data<float>()[0], 4.0f);
}

TEST(LayersTest, BatchNormCountsTrainingBatchesOnly) {
  BatchNorm2d bn(2);
  const Tensor x = RandomNormal({2, 2, 3, 3}, 3);
  bn.Forward(x);
  bn.Forward(x);
  EXPECT_EQ(bn.num_batches_tracked().data<float>()[0], 2.0f);
  bn.Eval();
  bn.Forward(x);
  EXPECT_EQ(bn.num_batches_tracked().data<float>()[0], 2.0f);
}

TEST(LayersTest, LstmReadsItsParametersAtEveryCall) {
  LstmOptions options;
  options.input_size = 3;
  options.hidden_size = 4;
  options.num_layers = 2;
  options.bidirectional = true;
  Lstm a(options), b(options);
  a.Eval();
  b.Eval();
  const Tensor x = RandomNormal({5, 2, 3}, 4);
  const Tensor before = a.Forward(x);
  // Replace a's tensors by new storage holding b's values, as a device move does.
  auto state_a = a.NamedState();
  auto state_b = b.NamedState();
  ASSERT_EQ(state_a.size(), state_b.size());
  for (size_t i = 0; i < state_a.size(); ++i) *state_a[i].second = state_b[i].second->Clone();
  const Tensor after = a.Forward(x);
  const Tensor expected = b.Forward(x);
  EXPECT_NE(before.data<float>()[0], after.data<float>()[0]);
  for (int64_t i = 0; i < after.numel(); ++i) {
    ASSERT_EQ(after.data<float>()[i], expected.data<float>()[i]) << i;
  }
}

// InputGradient (eval semantics, nothing kept) equals the training-mode Backward's input
// gradient when dropout is off, leaves the parameter gradients alone, and works in eval mode.
TEST(LayersTest, InputGradientEqualsBackwardWithoutDropout) {
  LstmOptions options;
  options.input_size = 3;
  options.hidden_size = 4;
  options.num_layers = 2;
  options.bidirectional = true;
  options.batch_first = true;
  Lstm lstm(options);
  Linear linear(8, 2);
  const Tensor x = RandomNormal({2, 5, 3}, 5);
  const Tensor dy = RandomNormal({2, 5, 8}, 6);
  const Tensor dz = RandomNormal({10, 2}, 7);
  const Tensor lstm_expected = (lstm.Forward(x), lstm.Backward(dy));
  const Tensor linear_expected = (linear.Forward(RandomNormal({10, 8}, 8)), linear.Backward(dz));
  lstm.ZeroGrad();
  linear.ZeroGrad();
  lstm.Eval();
  linear.Eval();
  const Tensor lstm_grad = lstm.InputGradient(x, dy);
  const Tensor linear_grad = linear.InputGradient(dz);
  ASSERT_EQ(lstm_grad.shape(), x.shape());
  ASSERT_EQ(linear_grad.shape(), (Shape{10, 8}));
  for (int64_t i = 0; i < x.numel(); ++i) {
    EXPECT_NEAR(lstm_grad.data<float>()[i], lstm_expected.data<float>()[i], 1e-6) << i;
  }
  for (int64_t i = 0; i < linear_grad.numel(); ++i) {
    EXPECT_NEAR(linear_grad.data<float>()[i], linear_expected.data<float>()[i], 1e-6) << i;
  }
  for (Parameter* p : lstm.Parameters()) {
    for (int64_t i = 0; i < p->grad.numel(); ++i) ASSERT_EQ(p->grad.data<float>()[i], 0.0f);
  }
  for (Parameter* p : linear.Parameters()) {
    for (int64_t i = 0; i < p->grad.numel(); ++i) ASSERT_EQ(p->grad.data<float>()[i], 0.0f);
  }
}

}  // namespace
}  // namespace nn
