#include "nn/models/detector.h"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "nn/models/presets.h"
#include "nn/testing/gradient_check.h"

namespace nn {
namespace {

using testing::CheckGradients;
using testing::GradientCheckOptions;
using testing::RandomNormal;

// Finite differences through the whole detector (training mode, dropouts off so the
// function is deterministic), for a sample of every parameter tensor. Central differences
// are meaningless across a ReLU kink, and a whole CNN has hundreds of them within eps of
// any point, so every batch-norm shift (the trunk's only biases) is set to +3: nearly all
// ReLU inputs become positive and the function smooth, while every backward path still
// runs. Exactness against float64 is proven in tests/model_parity_test.cc.
void CheckDetectorGradients(const DetectorOptions& options, const Shape& input_shape) {
  Detector detector(options);
  detector.Train();
  const Tensor frames = RandomNormal(input_shape, 5);
  std::vector<Tensor*> inputs;
  std::vector<Parameter*> params;
  for (auto& [name, p] : detector.NamedParameters()) {
    if (name.rfind("model.", 0) == 0 && name.size() > 5 &&
        name.compare(name.size() - 5, 5, ".bias") == 0) {
      p->value.Fill(3.0f);
    }
    inputs.push_back(&p->value);
    params.push_back(p);
  }
  GradientCheckOptions check;
  check.max_elements_per_input = 3;
  check.epsilon = 1e-3f;
  check.relative_tolerance = 2e-2;
  check.absolute_tolerance = 2e-3;
  check.skip_nonsmooth = true;
  check.max_mismatch_fraction = 0.02;  // max-pool argmax switches: see GradientCheckOptions
  EXPECT_TRUE(CheckGradients(
      inputs, [&] { return detector.Forward(frames).video_logits.Clone(); },
      [&](const Tensor& dy, const std::vector<Tensor*>& grads) {
        detector.ZeroGrad();
        detector.Forward(frames);
        detector.Backward(dy);
        for (size_t i = 0; i < params.size(); ++i) grads[i]->CopyFrom(params[i]->grad);
      },
      check));
}

TEST(DetectorTest, TinyPresetGradients) {
  CheckDetectorGradients(GetPreset("tiny")->detector, {2, 4, 3, 48, 48});
}

TEST(DetectorTest, PaperReadoutGradients) {
  // The jadhav2020 wiring (unidirectional LSTM without bias walking the videos axis, last
  // frame, two outputs) on the tiny trunk.
  DetectorOptions options = GetPreset("tiny")->detector;
  options.lstm.bias = false;
  options.lstm.batch_first = false;
  options.lstm.bidirectional = false;
  options.lstm.num_layers = 1;
  options.num_outputs = 2;
  options.readout = DetectorReadout::kPaperLastStep;
  CheckDetectorGradients(options, {3, 4, 3, 48, 48});
}

TEST(DetectorTest, ShapesAndDropoutInTraining) {
  DetectorOptions options = GetPreset("tiny")->detector;
  options.lstm.dropout = 0.3f;
  options.feature_dropout = 0.5f;
  Detector detector(options);
  detector.Train();
  const Tensor frames = RandomNormal({2, 4, 3, 32, 32}, 1);
  const DetectorOutput a = detector.Forward(frames);
  EXPECT_EQ(a.video_logits.shape(), (Shape{2, 1}));
  EXPECT_EQ(a.frame_logits.shape(), (Shape{2, 4, 1}));
  detector.ZeroGrad();
  detector.Backward(Tensor::Full({2, 1}, 1.0f));
  double norm = 0;
  for (Parameter* p : detector.Parameters()) {
    for (int64_t i = 0; i < p->grad.numel(); ++i) norm += std::abs(p->grad.data<float>()[i]);
  }
  EXPECT_GT(norm, 0);
  // A new mask each step: the same input gives different training outputs.
  const DetectorOutput b = detector.Forward(frames);
  EXPECT_NE(a.video_logits.data<float>()[0], b.video_logits.data<float>()[0]);
  // Evaluation is deterministic and ignores dropout.
  detector.Eval();
  const float e1 = detector.Forward(frames).video_logits.data<float>()[0];
  const float e2 = detector.Forward(frames).video_logits.data<float>()[0];
  EXPECT_EQ(e1, e2);
}

TEST(DetectorTest, VideoLogitIsTheMeanOfFrameLogits) {
  Detector detector(GetPreset("tiny")->detector);
  detector.Eval();
  const DetectorOutput out = detector.Forward(RandomNormal({1, 4, 3, 32, 32}, 2));
  float mean = 0;
  for (int t = 0; t < 4; ++t) mean += out.frame_logits.data<float>()[t] / 4;
  EXPECT_NEAR(out.video_logits.data<float>()[0], mean, 1e-6);
}

// Sum of |x| over a tensor (CPU).
double AbsSum(const Tensor& t) {
  double sum = 0;
  for (int64_t i = 0; i < t.numel(); ++i) sum += std::abs(t.data<float>()[i]);
  return sum;
}

bool IsBackboneName(const std::string& name) { return name.rfind("model.", 0) == 0; }

TEST(DetectorFeatureModeTest, ForwardEqualsForwardFeaturesOfExtractFeatures) {
  Detector detector(GetPreset("tiny")->detector);
  detector.Eval();
  const Tensor frames = RandomNormal({2, 4, 3, 32, 32}, 7);
  const DetectorOutput direct = detector.Forward(frames);
  const Tensor features = detector.ExtractFeatures(frames);
  EXPECT_EQ(features.shape(), (Shape{2, 4, detector.options().backbone.feature_channels()}));
  const DetectorOutput split = detector.ForwardFeatures(features);
  for (int64_t i = 0; i < direct.video_logits.numel(); ++i) {
    EXPECT_EQ(direct.video_logits.data<float>()[i], split.video_logits.data<float>()[i]) << i;
  }
  for (int64_t i = 0; i < direct.frame_logits.numel(); ++i) {
    EXPECT_EQ(direct.frame_logits.data<float>()[i], split.frame_logits.data<float>()[i]) << i;
  }
}

TEST(DetectorFeatureModeTest, FrozenBackboneTrainsOnlyTheHeadAndMatchesFeatureMode) {
  Detector detector(GetPreset("tiny")->detector);
  detector.Train();
  detector.SetBackboneFrozen(true);
  EXPECT_FALSE(detector.backbone().is_training());
  detector.Eval();
  detector.Train();  // eval -> train must not wake a frozen trunk
  EXPECT_TRUE(detector.is_training());
  EXPECT_FALSE(detector.backbone().is_training());

  // Running statistics before.
  std::vector<std::pair<std::string, Tensor>> state_before;
  for (auto& [name, tensor] : detector.NamedState())
    state_before.emplace_back(name, tensor->Clone());

  const Tensor frames = RandomNormal({2, 4, 3, 32, 32}, 8);
  const Tensor dy = RandomNormal({2, 1}, 9);
  detector.Train();  // train -> train reaches the trunk; the next Forward re-freezes it
  detector.ZeroGrad();
  const DetectorOutput full = detector.Forward(frames);
  EXPECT_FALSE(detector.backbone().is_training());
  detector.Backward(dy);
  std::vector<std::pair<std::string, Tensor>> full_grads;
  for (auto& [name, p] : detector.NamedParameters()) {
    if (IsBackboneName(name)) {
      EXPECT_EQ(AbsSum(p->grad), 0) << name << " got a gradient while frozen";
    } else {
      full_grads.emplace_back(name, p->grad.Clone());
    }
  }
  int index = 0;
  for (auto& [name, tensor] : detector.NamedState()) {
    const Tensor& before = state_before[index++].second;
    for (int64_t i = 0; i < tensor->numel(); ++i) {
      ASSERT_EQ(tensor->data<float>()[i], before.data<float>()[i]) << name << " changed";
    }
  }
  double head_grad = 0;
  for (auto& [name, grad] : full_grads) head_grad += AbsSum(grad);
  EXPECT_GT(head_grad, 0);

  // The same step from cached features: the same logits and head gradients, bit for bit.
  const Tensor features = detector.ExtractFeatures(frames);
  detector.ZeroGrad();
  const DetectorOutput cached = detector.ForwardFeatures(features);
  detector.Backward(dy);
  EXPECT_EQ(full.video_logits.data<float>()[0], cached.video_logits.data<float>()[0]);
  EXPECT_EQ(full.video_logits.data<float>()[1], cached.video_logits.data<float>()[1]);
  size_t k = 0;
  for (auto& [name, p] : detector.NamedParameters()) {
    if (IsBackboneName(name)) continue;
    const Tensor& expected = full_grads[k++].second;
    for (int64_t i = 0; i < expected.numel(); ++i) {
      ASSERT_EQ(p->grad.data<float>()[i], expected.data<float>()[i]) << name << "[" << i << "]";
    }
  }

  // Unfrozen again: the trunk trains and gets gradients.
  detector.SetBackboneFrozen(false);
  EXPECT_TRUE(detector.backbone().is_training());
  detector.ZeroGrad();
  detector.Forward(frames);
  detector.Backward(dy);
  double trunk_grad = 0;
  for (auto& [name, p] : detector.NamedParameters()) {
    if (IsBackboneName(name)) trunk_grad += AbsSum(p->grad);
  }
  EXPECT_GT(trunk_grad, 0);
}

TEST(DetectorFeatureModeTest, HeadGradientsFromFeatures) {
  Detector detector(GetPreset("tiny")->detector);
  detector.Train();
  const Tensor features = RandomNormal({3, 4, detector.options().backbone.feature_channels()}, 10);
  std::vector<Tensor*> inputs;
  std::vector<Parameter*> params;
  for (auto& [name, p] : detector.NamedParameters()) {
    if (IsBackboneName(name)) continue;
    inputs.push_back(&p->value);
    params.push_back(p);
  }
  GradientCheckOptions check;
  check.max_elements_per_input = 8;
  check.epsilon = 1e-2f;
  EXPECT_TRUE(CheckGradients(
      inputs, [&] { return detector.ForwardFeatures(features).video_logits.Clone(); },
      [&](const Tensor& dy, const std::vector<Tensor*>& grads) {
        detector.ZeroGrad();
        detector.ForwardFeatures(features);
        detector.Backward(dy);
        for (size_t i = 0; i < params.size(); ++i) grads[i]->CopyFrom(params[i]->grad);
      },
      check));
}

// FeatureGradient against finite differences of the eval-mode head, for both readouts;
// the detector stays in eval mode and its parameter gradients stay zero.
void CheckFeatureGradient(const DetectorOptions& options, const Shape& features_shape) {
  Detector detector(options);
  detector.Eval();
  Tensor features = RandomNormal(features_shape, 12);
  GradientCheckOptions check;
  check.max_elements_per_input = 64;
  check.epsilon = 1e-2f;
  EXPECT_TRUE(CheckGradients(
      {&features}, [&] { return detector.ForwardFeatures(features).video_logits.Clone(); },
      [&](const Tensor& dy, const std::vector<Tensor*>& grads) {
        const Tensor grad = detector.FeatureGradient(features, dy);
        ASSERT_EQ(grad.shape(), features.shape());
        grads[0]->CopyFrom(grad);
      },
      check));
  EXPECT_FALSE(detector.is_training());
  for (auto& [name, p] : detector.NamedParameters()) EXPECT_EQ(AbsSum(p->grad), 0) << name;
}

TEST(DetectorExplainTest, FeatureGradientMeanOfFrames) {
  const DetectorOptions options = GetPreset("tiny")->detector;
  CheckFeatureGradient(options, {2, 4, options.backbone.feature_channels()});
}

TEST(DetectorExplainTest, FeatureGradientPaperReadoutReachesOnlyTheLastFrame) {
  DetectorOptions options = GetPreset("tiny")->detector;
  options.lstm.bias = false;
  options.lstm.batch_first = false;
  options.lstm.bidirectional = false;
  options.lstm.num_layers = 1;
  options.num_outputs = 2;
  options.readout = DetectorReadout::kPaperLastStep;
  options.logit_dropout = 0.4f;  // identity here: the head runs as in eval mode
  const int64_t channels = options.backbone.feature_channels();
  CheckFeatureGradient(options, {3, 4, channels});
  // The LSTM walks the videos axis, so frame t's feature only reaches its own logits:
  // every frame but the last gets no gradient.
  Detector detector(options);
  detector.Eval();
  const Tensor grad = detector.FeatureGradient(RandomNormal({1, 4, channels}, 13),
                                               Tensor::FromVector({1, 2}, {1.0f, 0.0f}));
  for (int64_t i = 0; i < 3 * channels; ++i) ASSERT_EQ(grad.data<float>()[i], 0.0f) << i;
  EXPECT_GT(AbsSum(grad), 0);
}

TEST(DetectorExplainTest, FeatureMapsPoolToExtractFeatures) {
  Detector detector(GetPreset("tiny")->detector);
  detector.Eval();
  const Tensor frames = RandomNormal({2, 3, 3, 64, 64}, 14);
  const Tensor maps = detector.FeatureMaps(frames);
  const int64_t channels = detector.options().backbone.feature_channels();
  ASSERT_EQ(maps.shape(), (Shape{2, 3, channels, 2, 2}));
  const Tensor features = detector.ExtractFeatures(frames);
  for (int64_t i = 0; i < features.numel(); ++i) {
    const float* m = maps.data<float>() + i * 4;
    EXPECT_NEAR(features.data<float>()[i], (m[0] + m[1] + m[2] + m[3]) / 4, 1e-5) << i;
  }
}

TEST(DetectorDeathTest, FeatureMapsNeedAnEvalTrunk) {
  Detector detector(GetPreset("tiny")->detector);
  detector.Train();
  EXPECT_DEATH(detector.FeatureMaps(Tensor::Zeros({1, 4, 3, 32, 32})),
               "FeatureMaps needs the trunk in eval mode");
}

TEST(DetectorDeathTest, FeatureGradientChecksTheGradientShape) {
  Detector detector(GetPreset("tiny")->detector);
  detector.Eval();
  const int64_t channels = detector.options().backbone.feature_channels();
  EXPECT_DEATH(detector.FeatureGradient(Tensor::Zeros({1, 4, channels}), Tensor::Zeros({1, 2})),
               "FeatureGradient gradient \\[1, 2\\], expected \\[1, 1\\]");
}

TEST(DetectorTest, DropoutCountersContinueTheMaskSequence) {
  DetectorOptions options = GetPreset("tiny")->detector;
  options.lstm.dropout = 0.3f;
  options.feature_dropout = 0.5f;
  Detector a(options), b(options);
  a.Train();
  b.Train();
  const Tensor frames = RandomNormal({2, 4, 3, 32, 32}, 11);
  a.Forward(frames);
  a.Forward(frames);
  EXPECT_EQ(a.DropoutCounters(), (std::vector<uint64_t>{2, 2, 0}));
  b.SetDropoutCounters(a.DropoutCounters());
  auto state_a = a.NamedState();
  auto state_b = b.NamedState();
  for (size_t i = 0; i < state_a.size(); ++i) state_b[i].second->CopyFrom(*state_a[i].second);
  const Tensor third_a = a.Forward(frames).video_logits.Clone();
  const Tensor third_b = b.Forward(frames).video_logits;
  EXPECT_EQ(third_a.data<float>()[0], third_b.data<float>()[0]);
  EXPECT_EQ(third_a.data<float>()[1], third_b.data<float>()[1]);
}

TEST(DetectorDeathTest, ExtractFeaturesNeedsAnEvalTrunk) {
  Detector detector(GetPreset("tiny")->detector);
  detector.Train();
  EXPECT_DEATH(detector.ExtractFeatures(Tensor::Zeros({1, 4, 3, 32, 32})),
               "ExtractFeatures needs the trunk in eval mode");
}

TEST(DetectorDeathTest, RejectsABadInputShape) {
  Detector detector(GetPreset("tiny")->detector);
  EXPECT_DEATH(detector.Forward(Tensor::Zeros({4, 3, 32, 32})),
               "Detector input \\[4, 3, 32, 32\\], expected \\[B, T, 3, H, W\\]");
}

TEST(PresetsTest, KnownAndUnknown) {
  for (const std::string& name : PresetNames()) EXPECT_TRUE(GetPreset(name).ok()) << name;
  const auto unknown = GetPreset("resnet");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(unknown.status().message(),
            "unknown model preset 'resnet'; known presets: default, jadhav2020, small, tiny");
  const ModelPreset paper = *GetPreset("jadhav2020");
  EXPECT_EQ(paper.preprocessing.image_size, 112);
  EXPECT_EQ(paper.preprocessing.channel_order, ChannelOrder::kBgr);
  EXPECT_EQ(paper.labels[0], "FAKE");
  EXPECT_FALSE(paper.detector.lstm.bias);
}

}  // namespace
}  // namespace nn
