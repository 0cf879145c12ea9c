// The per-op test table: every case runs on every available device (as ggml's
// tests/test-backend-ops.cpp). For each case:
//   - DeviceParity: on each device other than the CPU, the case's output, state and input
//     gradients match the CPU's within the case's tolerance. Skips, printing the reason,
//     where the build or machine has no such device, or the device lacks one of the case's
//     kernels (named in the message).
//   - NoKernelDeath: where a device lacks a kernel, running the case there dies with
//     "<Op>: no kernel for <device>" (needs a device: a CUDA build with a GPU).
//   - CpuGradients: the CPU backward against central differences (nn/testing/gradient_check.h).
//
// Adding a case is one entry in AllCases() below: a name, a function that builds the
// instance on a device from a seed (nn/testing/op_case.h: differentiable inputs by name, a
// forward returning the output, a backward accumulating input gradients, and any state
// forward writes), and, when needed, a parity tolerance and gradient-check options. Draw
// inputs with the helpers of op_case.h (Normal, Uniform, AwayFromZero for kinks at 0,
// DistinctValues for maxima), which give the same values on every device; allocate outputs
// and caches with EmptyOn / ZerosOn on the case's device, never with data<float>(). A new op
// family (readouts, optimizer updates) adds its builders next to the others and its entries
// to the table; once its CUDA kernel exists, DeviceParity compares it with the CPU on these
// shapes with no further test code. Prefer odd sizes (tails of vector loops and tiles).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nn/ops/activation.h"
#include "nn/ops/batch_norm.h"
#include "nn/ops/conv.h"
#include "nn/ops/dropout.h"
#include "nn/ops/elementwise.h"
#include "nn/ops/linear.h"
#include "nn/ops/loss.h"
#include "nn/ops/lstm.h"
#include "nn/ops/pool.h"
#include "nn/testing/op_case.h"

namespace nn {
namespace {

using testing::AwayFromZero;
using testing::DistinctValues;
using testing::EmptyOn;
using testing::Normal;
using testing::OpCase;
using testing::OpInstance;
using testing::Uniform;
using testing::ZerosOn;
using Grads = std::vector<Tensor*>;

// --- elementwise ---

OpInstance Add(Device device, uint32_t seed) {
  const Shape shape({3, 5, 7});
  const Tensor a = Normal(shape, seed, device), b = Normal(shape, seed + 1, device);
  OpInstance op;
  op.inputs = {{"a", a}, {"b", b}};
  op.forward = [=] {
    Tensor out = EmptyOn(shape, device);
    AddForward(a, b, &out);
    return out;
  };
  op.backward = [](const Tensor& dy, const Grads& grads) { AddBackward(dy, grads[0], grads[1]); };
  return op;
}

// --- activations ---

// An elementwise or last-axis activation with y = f(x) and a backward reading y.
OpInstance Activation(Device device, const Tensor& x, void (*forward)(const Tensor&, Tensor*),
                      void (*backward)(const Tensor&, const Tensor&, Tensor*)) {
  auto y = std::make_shared<Tensor>();
  OpInstance op;
  op.inputs = {{"x", x}};
  op.forward = [=] {
    *y = EmptyOn(x.shape(), device);
    forward(x, y.get());
    return *y;
  };
  op.backward = [=](const Tensor& dy, const Grads& grads) { backward(dy, *y, grads[0]); };
  return op;
}

OpInstance Relu(Device device, uint32_t seed) {
  return Activation(device, AwayFromZero({3, 37}, seed, device), &ReluForward, &ReluBackward);
}

OpInstance Sigmoid(Device device, uint32_t seed) {
  return Activation(device, Normal({5, 19}, seed, device, 3.0f), &SigmoidForward, &SigmoidBackward);
}

OpInstance Softmax(Device device, uint32_t seed) {
  return Activation(device, Normal({2, 3, 11}, seed, device, 2.0f), &SoftmaxForward,
                    &SoftmaxBackward);
}

OpInstance LogSoftmax(Device device, uint32_t seed) {
  return Activation(device, Normal({7, 9}, seed, device, 2.0f), &LogSoftmaxForward,
                    &LogSoftmaxBackward);
}

// --- convolution ---

Conv2dParams ConvParams(int stride_h, int stride_w, int pad_h, int pad_w, int dilation_h,
                        int dilation_w, int groups) {
  Conv2dParams p;
  p.stride_h = stride_h;
  p.stride_w = stride_w;
  p.pad_h = pad_h;
  p.pad_w = pad_w;
  p.dilation_h = dilation_h;
  p.dilation_w = dilation_w;
  p.groups = groups;
  return p;
}

// y = conv(x, w) + b.
OpInstance Conv(Device device, uint32_t seed, const Shape& input, const Shape& weight,
                const Conv2dParams& params) {
  const Tensor x = Normal(input, seed, device), w = Normal(weight, seed + 1, device, 0.5f),
               b = Normal({weight[0]}, seed + 2, device);
  const Shape out_shape = Conv2dOutputShape(input, weight, params);
  OpInstance op;
  op.inputs = {{"x", x}, {"w", w}, {"b", b}};
  op.forward = [=] {
    Tensor y = EmptyOn(out_shape, device);
    Conv2dForward(x, w, &b, params, &y);
    return y;
  };
  op.backward = [=](const Tensor& dy, const Grads& grads) {
    Conv2dBackward(x, w, dy, params, grads[0], grads[1], grads[2]);
  };
  return op;
}

OpInstance ConvGroupedStridedDilated(Device device, uint32_t seed) {
  return Conv(device, seed, {2, 6, 9, 8}, {4, 3, 3, 3}, ConvParams(2, 1, 1, 2, 2, 1, 2));
}

OpInstance ConvPointwise(Device device, uint32_t seed) {  // 1x1: no im2col
  return Conv(device, seed, {2, 5, 4, 3}, {7, 5, 1, 1}, ConvParams(1, 1, 0, 0, 1, 1, 1));
}

OpInstance ConvStem(Device device, uint32_t seed) {  // 7x7 stride 2 on 3 channels
  return Conv(device, seed, {1, 3, 11, 10}, {4, 3, 7, 7}, ConvParams(2, 2, 3, 3, 1, 1, 1));
}

// The fused epilogue y = relu(conv(x, w) + b + r), differentiated by composition:
// dpre = dy * [y > 0], dr += dpre, then the convolution's backward of dpre.
OpInstance ConvBiasResidualRelu(Device device, uint32_t seed) {
  const Shape input({2, 4, 7, 6}), weight({6, 2, 3, 3});
  const Conv2dParams params = ConvParams(1, 2, 1, 1, 1, 1, 2);
  const Shape out_shape = Conv2dOutputShape(input, weight, params);
  const Tensor x = Normal(input, seed, device), w = Normal(weight, seed + 1, device, 0.5f),
               b = Normal({weight[0]}, seed + 2, device), r = Normal(out_shape, seed + 3, device);
  auto y = std::make_shared<Tensor>();
  OpInstance op;
  op.inputs = {{"x", x}, {"w", w}, {"b", b}, {"residual", r}};
  op.forward = [=] {
    *y = EmptyOn(out_shape, device);
    Conv2dEpilogue epilogue;
    epilogue.residual = &r;
    epilogue.relu = true;
    Conv2dForward(x, w, &b, params, y.get(), epilogue);
    return *y;
  };
  op.backward = [=](const Tensor& dy, const Grads& grads) {
    Tensor dpre = ZerosOn(out_shape, device);
    ReluBackward(dy, *y, &dpre);
    AddBackward(dpre, grads[3], nullptr);
    Conv2dBackward(x, w, dpre, params, grads[0], grads[1], grads[2]);
  };
  return op;
}

// Forward only: the eval-mode epilogue with a folded batch norm's per-channel scale.
OpInstance ConvScaleBiasResidualRelu(Device device, uint32_t seed) {
  const Shape input({1, 6, 5, 9}), weight({9, 2, 3, 1});
  const Conv2dParams params = ConvParams(1, 1, 1, 0, 1, 1, 3);
  const Shape out_shape = Conv2dOutputShape(input, weight, params);
  const Tensor x = Normal(input, seed, device), w = Normal(weight, seed + 1, device, 0.5f),
               scale = Uniform({weight[0]}, seed + 2, device, 0.5f, 1.5f),
               b = Normal({weight[0]}, seed + 3, device), r = Normal(out_shape, seed + 4, device);
  OpInstance op;
  op.forward = [=] {
    Tensor y = EmptyOn(out_shape, device);
    Conv2dForward(x, w, &b, params, &y, {&scale, &r, true});
    return y;
  };
  return op;
}

// --- batch norm ---

OpInstance BatchNorm(Device device, uint32_t seed, bool training) {
  const Shape shape({2, 5, 3, 7}), channels({5});
  const Tensor x = Normal(shape, seed, device, 2.0f),
               gamma = Uniform(channels, seed + 1, device, 0.5f, 1.5f),
               beta = Normal(channels, seed + 2, device),
               running_mean = Normal(channels, seed + 3, device),
               running_var = Uniform(channels, seed + 4, device, 0.5f, 2.0f);
  auto cache = std::make_shared<BatchNormCache>();
  OpInstance op;
  op.inputs = {{"x", x}, {"gamma", gamma}, {"beta", beta}};
  op.state = {{"running_mean", running_mean}, {"running_var", running_var}};
  op.forward = [=] {
    Tensor y = EmptyOn(shape, device);
    Tensor mean = running_mean, var = running_var;  // updated in place when training
    BatchNormOptions options;
    options.training = training;
    *cache = BatchNorm2dForward(x, &gamma, &beta, &mean, &var, options, &y);
    return y;
  };
  op.backward = [=](const Tensor& dy, const Grads& grads) {
    BatchNorm2dBackward(dy, x, &gamma, *cache, grads[0], grads[1], grads[2]);
  };
  return op;
}

OpInstance BatchNormTraining(Device device, uint32_t seed) { return BatchNorm(device, seed, true); }
OpInstance BatchNormEval(Device device, uint32_t seed) { return BatchNorm(device, seed, false); }

// Forward only: folded weight (the output) and folded bias (state).
OpInstance FoldBatchNorm(Device device, uint32_t seed) {
  const Shape weight({5, 3, 3, 2}), channels({5});
  const Tensor w = Normal(weight, seed, device), b = Normal(channels, seed + 1, device),
               gamma = Uniform(channels, seed + 2, device, 0.5f, 1.5f),
               beta = Normal(channels, seed + 3, device), mean = Normal(channels, seed + 4, device),
               var = Uniform(channels, seed + 5, device, 0.1f, 2.0f);
  const Tensor folded_bias = EmptyOn(channels, device);
  OpInstance op;
  op.state = {{"folded_bias", folded_bias}};
  op.forward = [=] {
    Tensor folded_weight = EmptyOn(weight, device), bias = folded_bias;
    FoldBatchNormIntoConv(w, &b, &gamma, &beta, mean, var, 1e-5f, &folded_weight, &bias);
    return folded_weight;
  };
  return op;
}

// --- pooling ---

OpInstance MaxPool(Device device, uint32_t seed, const Shape& input, const MaxPool2dParams& p) {
  const Tensor x = DistinctValues(input, seed, device);
  const Shape out_shape = MaxPool2dOutputShape(input, p);
  auto indices = std::make_shared<MaxPool2dIndices>();
  OpInstance op;
  op.inputs = {{"x", x}};
  op.forward = [=] {
    Tensor y = EmptyOn(out_shape, device);
    MaxPool2dForward(x, p, &y, indices.get());
    return y;
  };
  op.backward = [=](const Tensor& dy, const Grads& grads) {
    MaxPool2dBackward(dy, *indices, grads[0]);
  };
  return op;
}

MaxPool2dParams PoolParams(int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw) {
  MaxPool2dParams p;
  p.kernel_h = kh;
  p.kernel_w = kw;
  p.stride_h = sh;
  p.stride_w = sw;
  p.pad_h = ph;
  p.pad_w = pw;
  p.dilation_h = dh;
  p.dilation_w = dw;
  return p;
}

OpInstance MaxPoolStem(Device device, uint32_t seed) {  // ResNet's 3x3 stride 2 pad 1
  return MaxPool(device, seed, {2, 3, 9, 10}, PoolParams(3, 3, 2, 2, 1, 1, 1, 1));
}

OpInstance MaxPoolDilated(Device device, uint32_t seed) {
  return MaxPool(device, seed, {1, 2, 8, 9}, PoolParams(2, 3, 1, 2, 1, 0, 2, 1));
}

OpInstance GlobalAvgPool(Device device, uint32_t seed) {
  const Tensor x = Normal({2, 3, 5, 7}, seed, device);
  OpInstance op;
  op.inputs = {{"x", x}};
  op.forward = [=] {
    Tensor y = EmptyOn({2, 3, 1, 1}, device);
    GlobalAvgPool2dForward(x, &y);
    return y;
  };
  op.backward = [](const Tensor& dy, const Grads& grads) { GlobalAvgPool2dBackward(dy, grads[0]); };
  return op;
}

// --- linear, dropout ---

OpInstance Linear(Device device, uint32_t seed) {  // leading dimensions flattened
  const Tensor x = Normal({2, 3, 5}, seed, device), w = Normal({7, 5}, seed + 1, device),
               b = Normal({7}, seed + 2, device);
  OpInstance op;
  op.inputs = {{"x", x}, {"w", w}, {"b", b}};
  op.forward = [=] {
    Tensor y = EmptyOn({2, 3, 7}, device);
    LinearForward(x, w, &b, &y);
    return y;
  };
  op.backward = [=](const Tensor& dy, const Grads& grads) {
    LinearBackward(dy, x, w, grads[0], grads[1], grads[2]);
  };
  return op;
}

OpInstance Dropout(Device device, uint32_t seed) {
  const Tensor x = Normal({4, 33}, seed, device);
  const Tensor mask = EmptyOn(x.shape(), device);
  OpInstance op;
  op.inputs = {{"x", x}};
  op.state = {{"mask", mask}};
  op.forward = [=] {
    Tensor y = EmptyOn(x.shape(), device), m = mask;
    DropoutForward(x, 0.3f, /*training=*/true, /*seed=*/seed + 7, &y, &m);
    return y;
  };
  op.backward = [=](const Tensor& dy, const Grads& grads) { DropoutBackward(dy, mask, grads[0]); };
  return op;
}

// --- LSTM: 2 layers, bidirectional, batch_first, training with inter-layer dropout ---

OpInstance Lstm(Device device, uint32_t seed) {
  const LstmOptions o{.input_size = 3,
                      .hidden_size = 4,
                      .num_layers = 2,
                      .batch_first = true,
                      .bidirectional = true,
                      .dropout = 0.25f};
  const int64_t batch = 2, steps = 5, directions = o.num_directions();
  auto weights = std::make_shared<std::vector<LstmDirectionWeights>>(LstmZeroWeights(o, device));
  const Tensor input = Normal({batch, steps, o.input_size}, seed, device);
  const Tensor h_n = EmptyOn({o.num_layers * directions, batch, o.hidden_size}, device);
  const Tensor c_n = EmptyOn(h_n.shape(), device);
  OpInstance op;
  op.inputs = {{"input", input}};
  const std::vector<std::string> names = LstmParameterNames(o);
  const std::vector<Tensor*> params = LstmParameters(o, weights.get());
  for (size_t k = 0; k < params.size(); ++k) {
    *params[k] = Normal(params[k]->shape(), seed + 1 + k, device, 0.6f);
    op.inputs.emplace_back(names[k], *params[k]);
  }
  op.state = {{"h_n", h_n}, {"c_n", c_n}};
  auto cache = std::make_shared<LstmCache>();
  op.forward = [=] {
    Tensor output = EmptyOn({batch, steps, directions * o.hidden_size}, device);
    Tensor h = h_n, c = c_n;
    LstmForward(o, *weights, input, /*training=*/true, /*dropout_seed=*/seed, &output, &h, &c,
                cache.get());
    return output;
  };
  op.backward = [=](const Tensor& dy, const Grads& grads) {
    std::vector<LstmDirectionWeights> weight_grads = LstmZeroWeights(o, device);
    const std::vector<Tensor*> grad_params = LstmParameters(o, &weight_grads);
    for (size_t k = 0; k < grad_params.size(); ++k) *grad_params[k] = *grads[k + 1];
    LstmBackward(o, *weights, *cache, dy, grads[0], &weight_grads);
  };
  return op;
}

// --- losses: scalar outputs, returned as [1] on the case's device ---

Tensor Scalar(float value, Device device) { return Tensor::FromVector({1}, {value}).To(device); }
float HostScalar(const Tensor& t) { return t.To(Device::CPU()).data<float>()[0]; }

OpInstance BCEWithLogits(Device device, uint32_t seed) {
  const Tensor logits = Normal({5, 3}, seed, device, 2.0f),
               targets = Uniform({5, 3}, seed + 1, device, 0.0f, 1.0f),
               pos_weight = Uniform({3}, seed + 2, device, 0.5f, 2.0f);
  OpInstance op;
  op.inputs = {{"logits", logits}};
  op.forward = [=] { return Scalar(BCEWithLogitsForward(logits, targets, &pos_weight), device); };
  op.backward = [=](const Tensor& dloss, const Grads& grads) {
    BCEWithLogitsBackward(logits, targets, &pos_weight, HostScalar(dloss), grads[0]);
  };
  return op;
}

OpInstance CrossEntropy(Device device, uint32_t seed) {
  const Tensor logits = Normal({5, 4}, seed, device, 2.0f),
               class_weights = Uniform({4}, seed + 1, device, 0.5f, 2.0f);
  const std::vector<int64_t> targets = {0, 3, -100, 1, 2};
  OpInstance op;
  op.inputs = {{"logits", logits}};
  auto options = [class_weights] {
    CrossEntropyOptions options;
    options.class_weights = &class_weights;
    options.label_smoothing = 0.1f;
    return options;
  };
  op.forward = [=] { return Scalar(CrossEntropyForward(logits, targets, options()), device); };
  op.backward = [=](const Tensor& dloss, const Grads& grads) {
    CrossEntropyBackward(logits, targets, options(), HostScalar(dloss), grads[0]);
  };
  return op;
}

// --- the table ---

std::vector<OpCase> AllCases() {
  testing::GradientCheckOptions kinks;  // the epilogue's ReLU: skip elements at a kink
  kinks.skip_nonsmooth = true;
  testing::GradientCheckOptions lstm;
  lstm.max_elements_per_input = 48;
  return {
      {"add", &Add},
      {"relu", &Relu},
      {"sigmoid", &Sigmoid},
      {"softmax", &Softmax},
      {"log_softmax", &LogSoftmax},
      {"conv2d_grouped_strided_dilated_bias", &ConvGroupedStridedDilated},
      {"conv2d_pointwise_bias", &ConvPointwise},
      {"conv2d_stem_7x7_stride2", &ConvStem},
      {"conv2d_bias_residual_relu_epilogue", &ConvBiasResidualRelu, 1e-4, kinks},
      {"conv2d_scale_bias_residual_relu_forward", &ConvScaleBiasResidualRelu},
      {"batch_norm2d_training", &BatchNormTraining},
      {"batch_norm2d_eval", &BatchNormEval},
      {"fold_batch_norm_into_conv", &FoldBatchNorm},
      {"max_pool2d_3x3_stride2_pad1", &MaxPoolStem},
      {"max_pool2d_dilated", &MaxPoolDilated},
      {"global_avg_pool2d", &GlobalAvgPool},
      {"linear_3d_input", &Linear},
      {"dropout_seeded", &Dropout},
      {"lstm_2layer_bidirectional_batch_first_dropout", &Lstm, 1e-4, lstm},
      {"bce_with_logits_pos_weight", &BCEWithLogits},
      {"cross_entropy_weights_smoothing_ignore", &CrossEntropy},
  };
}

constexpr uint32_t kSeed = 1;

class BackendOpsTest : public ::testing::TestWithParam<OpCase> {};

TEST_P(BackendOpsTest, DeviceParity) {
  const OpCase& op_case = GetParam();
  const testing::AvailableDevices available = testing::QueryAvailableDevices();
  if (available.devices.size() == 1) GTEST_SKIP() << "CPU only: " << available.no_cuda_reason;
  const testing::OpCaseRun cpu = testing::RunOpCase(op_case, Device::CPU(), kSeed);
  ASSERT_TRUE(cpu.missing_kernels.empty()) << cpu.missing_kernels[0];
  std::vector<std::string> skipped;
  for (size_t i = 1; i < available.devices.size(); ++i) {
    const Device device = available.devices[i];
    const testing::OpCaseRun run = testing::RunOpCase(op_case, device, kSeed);
    if (!run.missing_kernels.empty()) {
      std::string missing;
      for (const std::string& kernel : run.missing_kernels) missing += " " + kernel + ";";
      skipped.push_back(device.ToString() + ": no kernel for" + missing);
      continue;
    }
    EXPECT_TRUE(testing::RunsMatch(cpu, run, op_case.tolerance)) << "on " << device;
  }
  if (skipped.size() == available.devices.size() - 1) {
    std::string reasons;
    for (const std::string& reason : skipped) reasons += "\n  " + reason;
    GTEST_SKIP() << reasons;
  }
}

TEST_P(BackendOpsTest, NoKernelDeath) {
  const OpCase& op_case = GetParam();
  const testing::AvailableDevices available = testing::QueryAvailableDevices();
  if (available.devices.size() == 1) GTEST_SKIP() << "CPU only: " << available.no_cuda_reason;
  // A fresh process per death test: a forked child cannot use the parent's CUDA context.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  bool any = false;
  for (size_t i = 1; i < available.devices.size(); ++i) {
    const Device device = available.devices[i];
    const std::vector<std::string> missing =
        testing::RunOpCase(op_case, device, kSeed).missing_kernels;
    if (missing.empty()) continue;
    any = true;
    // The first missing kernel ends the run: "LinearForward on cuda:0" ->
    // "LinearForward: no kernel for cuda:0".
    const std::string op = missing[0].substr(0, missing[0].find(" on "));
    const std::string expected = op + ": no kernel for " + device.ToString();
    EXPECT_DEATH(
        {
          testing::OpInstance instance = op_case.build(device, kSeed);
          const Tensor output = instance.forward();
          if (instance.backward) {
            std::vector<Tensor> grads;
            std::vector<Tensor*> grad_ptrs;
            for (const auto& [name, input] : instance.inputs) {
              grads.push_back(ZerosOn(input.shape(), device));
            }
            for (Tensor& grad : grads) grad_ptrs.push_back(&grad);
            instance.backward(ZerosOn(output.shape(), device), grad_ptrs);
          }
        },
        expected);
  }
  if (!any) GTEST_SKIP() << "every device has every kernel of this case";
}

// The harness itself on the CPU, in every build: every kernel exists, and two runs give the
// same bits (the CPU kernels are deterministic for any thread count).
TEST_P(BackendOpsTest, CpuRunsAreComplete) {
  const OpCase& op_case = GetParam();
  const testing::OpCaseRun first = testing::RunOpCase(op_case, Device::CPU(), kSeed);
  ASSERT_TRUE(first.missing_kernels.empty()) << first.missing_kernels[0];
  EXPECT_TRUE(testing::RunsMatch(first, testing::RunOpCase(op_case, Device::CPU(), kSeed), 0.0));
}

TEST_P(BackendOpsTest, CpuGradients) {
  const OpCase& op_case = GetParam();
  if (!op_case.build(Device::CPU(), kSeed).backward) GTEST_SKIP() << "forward only";
  EXPECT_TRUE(testing::CheckOpCaseGradients(op_case, kSeed));
}

INSTANTIATE_TEST_SUITE_P(Ops, BackendOpsTest, ::testing::ValuesIn(AllCases()),
                         [](const auto& info) { return info.param.name; });

TEST(BackendOpsTableTest, RunsMatchNamesTheTensorAndTheWorstElement) {
  const OpCase add = AllCases()[0];
  ASSERT_EQ(add.name, "add");
  const testing::OpCaseRun expected = testing::RunOpCase(add, Device::CPU(), kSeed);
  testing::OpCaseRun actual = testing::RunOpCase(add, Device::CPU(), kSeed);
  ASSERT_EQ(actual.tensors[2].first, "grad b");
  actual.tensors[2].second.data<float>()[5] += 0.1f;
  const ::testing::AssertionResult result = testing::RunsMatch(expected, actual, 1e-4);
  EXPECT_FALSE(result);
  EXPECT_NE(std::string(result.message())
                .find("grad b [3, 5, 7]: 1 of 105 elements differ; "
                      "worst at 5"),
            std::string::npos)
      << result.message();
  EXPECT_TRUE(testing::RunsMatch(expected, actual, 0.2));
}

TEST(BackendOpsTableTest, CaseNamesAreUnique) {
  std::vector<std::string> names;
  for (const OpCase& op_case : AllCases()) names.push_back(op_case.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
}

}  // namespace
}  // namespace nn
