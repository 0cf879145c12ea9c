// PyTorch 1.13 parity for the layer ops (BatchNorm2d incl. running statistics and folding,
// activations, Linear, Dropout, BCEWithLogits, CrossEntropy): outputs and every gradient
// against tests/fixtures/layers.safetensors, written by
//   /usr/bin/python3 tools/pytorch_ref/gen_layer_fixtures.py
#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "nn/io/safetensors.h"
#include "nn/ops/activation.h"
#include "nn/ops/batch_norm.h"
#include "nn/ops/dropout.h"
#include "nn/ops/linear.h"
#include "nn/ops/loss.h"

namespace nn {
namespace {

constexpr char kFixture[] = "tests/fixtures/layers.safetensors";

class LayersParityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<io::TensorMap> read = io::ReadSafetensors(kFixture);
    ASSERT_TRUE(read.ok()) << read.status();
    fixture_ = new io::TensorMap(*std::move(read));
  }
  static void TearDownTestSuite() {
    delete fixture_;
    fixture_ = nullptr;
  }

  // A copy of the named fixture tensor (tests may modify their inputs).
  static Tensor Get(const std::string& name) {
    const auto it = fixture_->find(name);
    NN_CHECK(it != fixture_->end()) << kFixture << " has no tensor " << name;
    return it->second.Clone();
  }
  static float Scalar(const std::string& name) { return Get(name).data<float>()[0]; }
  static std::vector<int64_t> Targets(const std::string& name) {
    const Tensor t = Get(name);
    std::vector<int64_t> targets(t.numel());
    for (int64_t i = 0; i < t.numel(); ++i) {
      targets[i] = static_cast<int64_t>(std::lround(t.data<float>()[i]));
    }
    return targets;
  }

  static io::TensorMap* fixture_;
};
io::TensorMap* LayersParityTest::fixture_ = nullptr;

// max |actual - expected| <= tolerance * max(1, max |expected|).
::testing::AssertionResult Close(const Tensor& actual, const Tensor& expected,
                                 double tolerance = 1e-5) {
  if (actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure()
           << "shape " << actual.shape() << " vs expected " << expected.shape();
  }
  double max_diff = 0, magnitude = 1;
  int64_t worst = 0;
  for (int64_t i = 0; i < actual.numel(); ++i) {
    const double a = actual.data<float>()[i], e = expected.data<float>()[i];
    magnitude = std::max(magnitude, std::abs(e));
    if (!(std::abs(a - e) <= max_diff)) {  // also catches NaN
      max_diff = std::isnan(a - e) ? INFINITY : std::abs(a - e);
      worst = i;
    }
  }
  if (max_diff > tolerance * magnitude) {
    return ::testing::AssertionFailure()
           << "max abs diff " << max_diff << " at element " << worst << " (actual "
           << actual.data<float>()[worst] << ", expected " << expected.data<float>()[worst]
           << "), allowed " << tolerance * magnitude;
  }
  return ::testing::AssertionSuccess();
}

TEST_F(LayersParityTest, BatchNormTrainingStepsAndRunningStatistics) {
  const Tensor weight = Get("bn.weight"), bias = Get("bn.bias"), dy = Get("bn.dy");
  for (const auto& [tag, momentum, steps] : std::vector<std::tuple<std::string, float, int>>{
           {"train_m0.1", 0.1f, 1}, {"train_m0.3", 0.3f, 2}}) {
    Tensor running_mean = Get("bn.running_mean0"), running_var = Get("bn.running_var0");
    BatchNormOptions options;
    options.momentum = momentum;
    for (int step = 0; step < steps; ++step) {
      SCOPED_TRACE(tag + " step " + std::to_string(step));
      const std::string prefix = "bn." + tag + ".step" + std::to_string(step) + ".";
      const Tensor x = Get(step == 0 ? "bn.x" : "bn.x2");
      Tensor y = Tensor::Empty(x.shape());
      const BatchNormCache cache =
          BatchNorm2dForward(x, &weight, &bias, &running_mean, &running_var, options, &y);
      Tensor dx = Tensor::Zeros(x.shape()), dweight = Tensor::Zeros(weight.shape()),
             dbias = Tensor::Zeros(bias.shape());
      BatchNorm2dBackward(dy, x, &weight, cache, &dx, &dweight, &dbias);
      EXPECT_TRUE(Close(y, Get(prefix + "y")));
      EXPECT_TRUE(Close(dx, Get(prefix + "dx"), 1e-4));
      EXPECT_TRUE(Close(dweight, Get(prefix + "dweight")));
      EXPECT_TRUE(Close(dbias, Get(prefix + "dbias")));
      EXPECT_TRUE(Close(running_mean, Get(prefix + "running_mean")));
      EXPECT_TRUE(Close(running_var, Get(prefix + "running_var")));
    }
  }
}

TEST_F(LayersParityTest, BatchNormEval) {
  const Tensor x = Get("bn.x"), weight = Get("bn.weight"), bias = Get("bn.bias");
  Tensor running_mean = Get("bn.running_mean0"), running_var = Get("bn.running_var0");
  BatchNormOptions options;
  options.training = false;
  options.eps = 1e-3f;
  Tensor y = Tensor::Empty(x.shape());
  const BatchNormCache cache =
      BatchNorm2dForward(x, &weight, &bias, &running_mean, &running_var, options, &y);
  Tensor dx = Tensor::Zeros(x.shape()), dweight = Tensor::Zeros(weight.shape()),
         dbias = Tensor::Zeros(bias.shape());
  BatchNorm2dBackward(Get("bn.dy"), x, &weight, cache, &dx, &dweight, &dbias);
  EXPECT_TRUE(Close(y, Get("bn.eval_eps1e-3.y")));
  EXPECT_TRUE(Close(dx, Get("bn.eval_eps1e-3.dx")));
  EXPECT_TRUE(Close(dweight, Get("bn.eval_eps1e-3.dweight")));
  EXPECT_TRUE(Close(dbias, Get("bn.eval_eps1e-3.dbias")));
  EXPECT_TRUE(Close(running_mean, Get("bn.running_mean0"), 0));  // untouched
}

TEST_F(LayersParityTest, FoldBatchNormIntoConv) {
  const Tensor conv_weight = Get("fold.conv_weight"), conv_bias = Get("fold.conv_bias");
  const Tensor gamma = Get("fold.gamma"), beta = Get("fold.beta");
  Tensor folded_weight = Tensor::Empty(conv_weight.shape());
  Tensor folded_bias = Tensor::Empty(conv_bias.shape());
  FoldBatchNormIntoConv(conv_weight, &conv_bias, &gamma, &beta, Get("fold.running_mean"),
                        Get("fold.running_var"), 1e-5f, &folded_weight, &folded_bias);
  EXPECT_TRUE(Close(folded_weight, Get("fold.weight")));
  EXPECT_TRUE(Close(folded_bias, Get("fold.bias")));
}

TEST_F(LayersParityTest, Activations) {
  const Tensor dy = Get("act.dy");
  struct Case {
    std::string name;
    void (*forward)(const Tensor&, Tensor*);
    void (*backward)(const Tensor&, const Tensor&, Tensor*);
    std::string input;
  };
  for (const Case& c : std::vector<Case>{
           {"relu", &ReluForward, &ReluBackward, "act.relu_x"},
           {"sigmoid", &SigmoidForward, &SigmoidBackward, "act.x"},
           {"softmax", &SoftmaxForward, &SoftmaxBackward, "act.x"},
           {"log_softmax", &LogSoftmaxForward, &LogSoftmaxBackward, "act.x"},
       }) {
    SCOPED_TRACE(c.name);
    const Tensor x = Get(c.input);
    Tensor y = Tensor::Empty(x.shape());
    c.forward(x, &y);
    Tensor dx = Tensor::Zeros(x.shape());
    c.backward(dy, y, &dx);  // every backward reads the forward's output
    EXPECT_TRUE(Close(y, Get("act." + c.name + ".y")));
    EXPECT_TRUE(Close(dx, Get("act." + c.name + ".dx")));
  }
}

TEST_F(LayersParityTest, Linear) {
  for (const std::string tag : {"2d", "3d_nobias"}) {
    SCOPED_TRACE(tag);
    const std::string prefix = "linear." + tag + ".";
    const bool has_bias = fixture_->count(prefix + "bias") > 0;
    const Tensor x = Get(prefix + "x"), weight = Get(prefix + "weight");
    const Tensor bias = has_bias ? Get(prefix + "bias") : Tensor();
    Tensor y = Tensor::Empty(LinearOutputShape(x.shape(), weight.shape()));
    LinearForward(x, weight, has_bias ? &bias : nullptr, &y);
    Tensor dx = Tensor::Zeros(x.shape()), dweight = Tensor::Zeros(weight.shape());
    Tensor dbias = Tensor::Zeros({weight.dim(0)});
    LinearBackward(Get(prefix + "dy"), x, weight, &dx, &dweight, has_bias ? &dbias : nullptr);
    EXPECT_TRUE(Close(y, Get(prefix + "y")));
    EXPECT_TRUE(Close(dx, Get(prefix + "dx")));
    EXPECT_TRUE(Close(dweight, Get(prefix + "dweight")));
    if (has_bias) {
      EXPECT_TRUE(Close(dbias, Get(prefix + "dbias")));
    }
  }
}

// PyTorch's random stream is not reproduced; the scale of kept elements, y = x * mask with
// PyTorch's own mask, and eval = identity are.
TEST_F(LayersParityTest, Dropout) {
  const Tensor x = Get("dropout.x");
  const float p = Scalar("dropout.p");
  Tensor y = Tensor::Empty(x.shape()), mask = Tensor::Empty(x.shape());
  DropoutForward(x, p, /*training=*/false, 1, &y, &mask);
  EXPECT_TRUE(Close(y, Get("dropout.eval_y"), 0));

  DropoutForward(x, p, /*training=*/true, 1, &y, &mask);
  const float* m = mask.data<float>();
  const float our_scale = *std::max_element(m, m + mask.numel());
  EXPECT_FLOAT_EQ(our_scale, Scalar("dropout.train_scale"));
  // PyTorch's mask with our scale through our backward: dx = x * mask = PyTorch's y.
  Tensor torch_mask = Get("dropout.torch_keep");
  for (int64_t i = 0; i < torch_mask.numel(); ++i) torch_mask.data<float>()[i] *= our_scale;
  Tensor dx = Tensor::Zeros(x.shape());
  DropoutBackward(x, torch_mask, &dx);
  EXPECT_TRUE(Close(dx, Get("dropout.torch_train_y"), 1e-6));
}

TEST_F(LayersParityTest, BCEWithLogits) {
  const Tensor logits = Get("bce.logits"), targets = Get("bce.targets");
  const Tensor pos_weight = Get("bce.pos_weight");
  for (const std::string tag : {"plain", "pos_weight"}) {
    SCOPED_TRACE(tag);
    const Tensor* pw = tag == "pos_weight" ? &pos_weight : nullptr;
    const float loss = BCEWithLogitsForward(logits, targets, pw);
    EXPECT_NEAR(loss, Scalar("bce." + tag + ".loss"), 1e-5 * std::max(1.0f, std::abs(loss)));
    Tensor dlogits = Tensor::Zeros(logits.shape());
    BCEWithLogitsBackward(logits, targets, pw, 1.0f, &dlogits);
    EXPECT_TRUE(Close(dlogits, Get("bce." + tag + ".dlogits")));
  }
}

TEST_F(LayersParityTest, CrossEntropy) {
  const Tensor logits = Get("ce.logits"), weight = Get("ce.weight");
  struct Case {
    std::string tag, targets;
    bool weighted;
    float label_smoothing;
  };
  for (const Case& c : std::vector<Case>{
           {"plain", "ce.targets", false, 0.0f},
           {"weight", "ce.targets", true, 0.0f},
           {"smooth0.1", "ce.targets", false, 0.1f},
           {"weight_smooth0.2", "ce.targets", true, 0.2f},
           {"ignored_smooth0.3", "ce.targets_ignored", false, 0.3f},
           {"ignored_weight_smooth0.3", "ce.targets_ignored", true, 0.3f},
       }) {
    SCOPED_TRACE(c.tag);
    CrossEntropyOptions options;
    options.class_weights = c.weighted ? &weight : nullptr;
    options.label_smoothing = c.label_smoothing;
    const std::vector<int64_t> targets = Targets(c.targets);
    const float loss = CrossEntropyForward(logits, targets, options);
    EXPECT_NEAR(loss, Scalar("ce." + c.tag + ".loss"), 1e-5 * std::max(1.0f, std::abs(loss)));
    Tensor dlogits = Tensor::Zeros(logits.shape());
    CrossEntropyBackward(logits, targets, options, 1.0f, &dlogits);
    EXPECT_TRUE(Close(dlogits, Get("ce." + c.tag + ".dlogits")));
  }
}

}  // namespace
}  // namespace nn
