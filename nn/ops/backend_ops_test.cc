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
// and caches with EmptyOn / ZerosOn on the case's device, never with data<float>(). An op
// without a backward (optimizer updates, inference-only folding) is a forward-only case: its
// entry says why (OpCase::forward_only), its instance has no backward and no differentiable
// inputs, and its output and state are compared across devices. Once an op's CUDA kernel
// exists, DeviceParity compares it with the CPU on these shapes with no further test code.
// Prefer odd sizes (tails of vector loops and tiles), and sizes above a kernel's parallel
// threshold where it has one.
#include <algorithm>
#include <cmath>
#include <functional>
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
#include "nn/ops/optimizer_ops.h"
#include "nn/ops/pool.h"
#include "nn/ops/readout.h"
#include "nn/testing/op_case.h"
#include "nn/testing/op_params.h"

namespace nn {
namespace {

using testing::AwayFromZero;
using testing::Conv2dParamsOf;
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
  return Conv(device, seed, {2, 6, 9, 8}, {4, 3, 3, 3}, Conv2dParamsOf(2, 1, 1, 2, 2, 1, 2));
}

OpInstance ConvPointwise(Device device, uint32_t seed) {  // 1x1: no im2col
  return Conv(device, seed, {2, 5, 4, 3}, {7, 5, 1, 1}, Conv2dParamsOf(1, 1, 0, 0, 1, 1, 1));
}

OpInstance ConvStem(Device device, uint32_t seed) {  // 7x7 stride 2 on 3 channels
  return Conv(device, seed, {1, 3, 11, 10}, {4, 3, 7, 7}, Conv2dParamsOf(2, 2, 3, 3, 1, 1, 1));
}

// The fused epilogue y = relu(conv(x, w) + b + r), differentiated by composition:
// dpre = dy * [y > 0], dr += dpre, then the convolution's backward of dpre.
OpInstance ConvBiasResidualRelu(Device device, uint32_t seed) {
  const Shape input({2, 4, 7, 6}), weight({6, 2, 3, 3});
  const Conv2dParams params = Conv2dParamsOf(1, 2, 1, 1, 1, 1, 2);
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
  const Conv2dParams params = Conv2dParamsOf(1, 1, 1, 0, 1, 1, 3);
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

// --- readouts: the detector's mean over frames and last step ---

OpInstance MeanOverAxis(Device device, uint32_t seed, const Shape& shape, int axis) {
  const Tensor x = Normal(shape, seed, device);
  const Shape out_shape = ReadoutOutputShape(shape, axis);
  OpInstance op;
  op.inputs = {{"x", x}};
  op.forward = [=] {
    Tensor y = EmptyOn(out_shape, device);
    MeanOverAxisForward(x, axis, &y);
    return y;
  };
  op.backward = [=](const Tensor& dy, const Grads& grads) {
    MeanOverAxisBackward(dy, axis, grads[0]);
  };
  return op;
}

OpInstance MeanOverFrames(Device device, uint32_t seed) {  // [B, T, K], axis 1
  return MeanOverAxis(device, seed, {3, 7, 5}, 1);
}

OpInstance MeanOverBatchAxis(Device device, uint32_t seed) {  // the paper's axis-0 quirk
  return MeanOverAxis(device, seed, {5, 3, 2}, 0);
}

OpInstance MeanOverLastAxis(Device device, uint32_t seed) {  // inner = 1, negative axis
  return MeanOverAxis(device, seed, {2, 3, 9}, -1);
}

OpInstance SelectIndex(Device device, uint32_t seed, const Shape& shape, int axis, int64_t index) {
  const Tensor x = Normal(shape, seed, device);
  const Shape out_shape = ReadoutOutputShape(shape, axis);
  OpInstance op;
  op.inputs = {{"x", x}};
  op.forward = [=] {
    Tensor y = EmptyOn(out_shape, device);
    SelectIndexForward(x, axis, index, &y);
    return y;
  };
  op.backward = [=](const Tensor& dy, const Grads& grads) {
    SelectIndexBackward(dy, axis, index, grads[0]);
  };
  return op;
}

OpInstance SelectLastStep(Device device, uint32_t seed) {  // x_lstm[:, -1, :]
  return SelectIndex(device, seed, {3, 7, 5}, 1, -1);
}

OpInstance SelectFirstOfAxis0(Device device, uint32_t seed) {  // outer = 1
  return SelectIndex(device, seed, {4, 3, 5}, 0, 0);
}

OpInstance SelectMiddleOfLastAxis(Device device, uint32_t seed) {  // inner = 1
  return SelectIndex(device, seed, {2, 3, 7}, -1, 3);
}

// --- optimizer updates: in place, forward only ---
// The forward copies the starting values into the updated tensors and applies one step, so
// every run starts from the same values; the output is the updated parameter, the state the
// updated optimizer buffers. Odd sizes (scalar tails) and, for the parallel kernels, sizes
// above their chunk thresholds.

const char kNotDifferentiated[] = "an optimizer update is not differentiated through";

OpInstance Sgd(Device device, uint32_t seed, const Shape& shape, const SgdStepOptions& options) {
  const Tensor grad = Normal(shape, seed, device), param0 = Normal(shape, seed + 1, device),
               buffer0 = Normal(shape, seed + 2, device, 0.5f);
  const Tensor buffer = EmptyOn(shape, device);
  const bool has_momentum = options.momentum != 0;
  OpInstance op;
  if (has_momentum) op.state = {{"momentum_buffer", buffer}};
  op.forward = [=] {
    Tensor param = param0.Clone(), b = buffer;
    b.CopyFrom(buffer0);
    SgdStep(grad, options, &param, has_momentum ? &b : nullptr);
    return param;
  };
  return op;
}

OpInstance SgdNesterovWeightDecay(Device device, uint32_t seed) {
  SgdStepOptions options;
  options.lr = 0.1, options.momentum = 0.9, options.weight_decay = 0.01, options.nesterov = true;
  return Sgd(device, seed, {3, 37}, options);
}

OpInstance SgdDampeningFirstStep(Device device, uint32_t seed) {
  SgdStepOptions options;
  options.lr = 0.05, options.momentum = 0.8, options.dampening = 0.1, options.first_step = true;
  return Sgd(device, seed, {7, 9}, options);
}

OpInstance SgdDampeningLarge(Device device, uint32_t seed) {  // parallel chunks + tail
  SgdStepOptions options;
  options.lr = 0.05, options.momentum = 0.8, options.dampening = 0.1, options.weight_decay = 1e-3;
  return Sgd(device, seed, {5, 8209}, options);
}

OpInstance SgdPlain(Device device, uint32_t seed) {  // no momentum buffer
  SgdStepOptions options;
  options.lr = 0.3;
  return Sgd(device, seed, {61}, options);
}

OpInstance Adam(Device device, uint32_t seed, const Shape& shape, const AdamStepOptions& options) {
  const Tensor grad = Normal(shape, seed, device), param0 = Normal(shape, seed + 1, device),
               exp_avg0 = Normal(shape, seed + 2, device, 0.1f),
               exp_avg_sq0 = Uniform(shape, seed + 3, device, 0.0f, 0.05f);
  const Tensor exp_avg = EmptyOn(shape, device), exp_avg_sq = EmptyOn(shape, device);
  OpInstance op;
  op.state = {{"exp_avg", exp_avg}, {"exp_avg_sq", exp_avg_sq}};
  op.forward = [=] {
    Tensor param = param0.Clone(), m = exp_avg, v = exp_avg_sq;
    m.CopyFrom(exp_avg0);
    v.CopyFrom(exp_avg_sq0);
    AdamStep(grad, options, &param, &m, &v);
    return param;
  };
  return op;
}

AdamStepOptions AdamOptions(double weight_decay, bool decoupled, int step) {
  AdamStepOptions options;
  options.lr = 1e-2;
  options.weight_decay = weight_decay;
  options.decoupled_weight_decay = decoupled;
  options.bias_correction1 = 1 - std::pow(options.beta1, step);
  options.bias_correction2 = 1 - std::pow(options.beta2, step);
  return options;
}

OpInstance AdamL2(Device device, uint32_t seed) {
  return Adam(device, seed, {5, 13}, AdamOptions(0.01, /*decoupled=*/false, /*step=*/3));
}

OpInstance AdamFirstStep(Device device, uint32_t seed) {  // no weight decay
  return Adam(device, seed, {31}, AdamOptions(0.0, /*decoupled=*/false, /*step=*/1));
}

OpInstance AdamW(Device device, uint32_t seed) {
  return Adam(device, seed, {3, 11, 7}, AdamOptions(0.05, /*decoupled=*/true, /*step=*/7));
}

OpInstance AdamWLarge(Device device, uint32_t seed) {  // parallel chunks + tail
  return Adam(device, seed, {3, 13003}, AdamOptions(0.05, /*decoupled=*/true, /*step=*/2));
}

// The gradient-clipping pair: a norm (returned as [1]) and a scale.

OpInstance Norm(Device device, uint32_t seed, const Shape& shape, double norm_type) {
  const Tensor x = Normal(shape, seed, device);
  OpInstance op;
  op.forward = [=] { return Scalar(VectorNorm(x, norm_type), device); };
  return op;
}

OpInstance NormL2(Device device, uint32_t seed) { return Norm(device, seed, {7, 13}, 2.0); }
OpInstance NormL1(Device device, uint32_t seed) { return Norm(device, seed, {101}, 1.0); }
OpInstance NormInf(Device device, uint32_t seed) { return Norm(device, seed, {3, 5, 7}, INFINITY); }
OpInstance NormL3Blocks(Device device, uint32_t seed) {  // 3 reduction blocks + a tail
  return Norm(device, seed, {3, 16411}, 3.0);
}

OpInstance Scale(Device device, uint32_t seed, const Shape& shape) {
  const Tensor x0 = Normal(shape, seed, device);
  OpInstance op;
  op.forward = [=] {
    Tensor x = x0.Clone();
    ScaleInPlace(0.37f, &x);
    return x;
  };
  return op;
}

OpInstance ScaleSmall(Device device, uint32_t seed) { return Scale(device, seed, {5, 9}); }
OpInstance ScaleLarge(Device device, uint32_t seed) { return Scale(device, seed, {2, 20483}); }

// --- the table ---

std::vector<OpCase> AllCases() {
  testing::GradientCheckOptions kinks;  // the epilogue's ReLU: skip elements at a kink
  kinks.skip_nonsmooth = true;
  testing::GradientCheckOptions lstm;
  lstm.max_elements_per_input = 48;
  // A forward-only case: default tolerance, no gradient check, and why.
  auto forward_only = [](std::string name, std::function<OpInstance(Device, uint32_t)> build,
                         std::string reason) {
    OpCase op_case{std::move(name), std::move(build)};
    op_case.forward_only = std::move(reason);
    return op_case;
  };
  std::vector<OpCase> cases = {
      {"add", &Add},
      {"relu", &Relu},
      {"sigmoid", &Sigmoid},
      {"softmax", &Softmax},
      {"log_softmax", &LogSoftmax},
      {"conv2d_grouped_strided_dilated_bias", &ConvGroupedStridedDilated},
      {"conv2d_pointwise_bias", &ConvPointwise},
      {"conv2d_stem_7x7_stride2", &ConvStem},
      {"conv2d_bias_residual_relu_epilogue", &ConvBiasResidualRelu, 1e-4, kinks},
      forward_only("conv2d_scale_bias_residual_relu_forward", &ConvScaleBiasResidualRelu,
                   "the folded eval-mode epilogue is inference only"),
      {"batch_norm2d_training", &BatchNormTraining},
      {"batch_norm2d_eval", &BatchNormEval},
      forward_only("fold_batch_norm_into_conv", &FoldBatchNorm,
                   "folding prepares inference weights; training differentiates the unfolded "
                   "batch norm"),
      {"global_avg_pool2d", &GlobalAvgPool},
      {"linear_3d_input", &Linear},
      {"dropout_seeded", &Dropout},
      {"lstm_2layer_bidirectional_batch_first_dropout", &Lstm, 1e-4, lstm},
      {"bce_with_logits_pos_weight", &BCEWithLogits},
      {"cross_entropy_weights_smoothing_ignore", &CrossEntropy},
      {"mean_over_axis_frames", &MeanOverFrames},
      {"mean_over_axis_batch_axis", &MeanOverBatchAxis},
      {"mean_over_axis_last_negative", &MeanOverLastAxis},
      {"select_index_last_step", &SelectLastStep},
      {"select_index_axis0_first", &SelectFirstOfAxis0},
      {"select_index_last_axis", &SelectMiddleOfLastAxis},
      forward_only("sgd_step_nesterov_weight_decay", &SgdNesterovWeightDecay, kNotDifferentiated),
      forward_only("sgd_step_dampening_first_step", &SgdDampeningFirstStep, kNotDifferentiated),
      forward_only("sgd_step_dampening_weight_decay_large", &SgdDampeningLarge, kNotDifferentiated),
      forward_only("sgd_step_no_momentum", &SgdPlain, kNotDifferentiated),
      forward_only("adam_step_l2_weight_decay", &AdamL2, kNotDifferentiated),
      forward_only("adam_step_first_step", &AdamFirstStep, kNotDifferentiated),
      forward_only("adamw_step_decoupled_weight_decay", &AdamW, kNotDifferentiated),
      forward_only("adamw_step_large", &AdamWLarge, kNotDifferentiated),
      forward_only("vector_norm_l2", &NormL2, "gradient clipping's norm is not differentiated"),
      forward_only("vector_norm_l1", &NormL1, "gradient clipping's norm is not differentiated"),
      forward_only("vector_norm_inf", &NormInf, "gradient clipping's norm is not differentiated"),
      forward_only("vector_norm_l3_blocks", &NormL3Blocks,
                   "gradient clipping's norm is not differentiated"),
      forward_only("scale_in_place", &ScaleSmall, kNotDifferentiated),
      forward_only("scale_in_place_large", &ScaleLarge, kNotDifferentiated),
  };
  for (const testing::MaxPool2dCase& pool : testing::MaxPool2dCases()) {  // as pool_test's
    cases.push_back({std::string("max_pool2d_") + pool.name, [pool](Device device, uint32_t seed) {
                       return MaxPool(device, seed, pool.input, pool.params);
                     }});
  }
  return cases;
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
  if (!op_case.forward_only.empty()) GTEST_SKIP() << "forward only: " << op_case.forward_only;
  EXPECT_TRUE(testing::CheckOpCaseGradients(op_case, kSeed));
}

// A case has a backward exactly when it does not say it is forward only; a forward-only
// case has no differentiable inputs (nothing would receive a gradient).
TEST_P(BackendOpsTest, DeclaresWhetherItHasABackward) {
  const OpCase& op_case = GetParam();
  const testing::OpInstance instance = op_case.build(Device::CPU(), kSeed);
  if (op_case.forward_only.empty()) {
    EXPECT_TRUE(instance.backward) << "no backward; a forward-only case says why";
  } else {
    EXPECT_FALSE(instance.backward) << "has a backward but says: " << op_case.forward_only;
    EXPECT_TRUE(instance.inputs.empty()) << instance.inputs.size() << " differentiable inputs";
  }
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
