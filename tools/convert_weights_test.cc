// tools/convert_weights on small PyTorch files (tests/fixtures/checkpoints/): the target
// layout per preset, name mapping, strictness, fresh initialisation and metadata. The
// full-size parity with PyTorch is tests/convert_weights_parity_test.cc.
#include "tools/convert_weights.h"

#include <sys/stat.h>

#include <string>

#include "base/testing/test_paths.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nn/io/checkpoint.h"
#include "nn/io/pytorch_checkpoint.h"
#include "nn/models/detector.h"
#include "nn/models/presets.h"

namespace tools {
namespace {

using ::base::testing::TestTempPath;

using ::testing::HasSubstr;

const std::string kDir = "tests/fixtures/checkpoints/";

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

TEST(DetectorStateSpecTest, EqualsTheDetectorsStateDictForEveryPreset) {
  for (const std::string& name : nn::PresetNames()) {
    const nn::ModelPreset preset = *nn::GetPreset(name);
    const auto spec = DetectorStateSpec(preset);
    nn::Detector detector(preset.detector);
    const auto state = detector.NamedState();
    ASSERT_EQ(spec.size(), state.size()) << name;
    for (size_t i = 0; i < spec.size(); ++i) {
      EXPECT_EQ(spec[i].first, state[i].first) << name;
      EXPECT_EQ(spec[i].second, state[i].second->shape()) << name << " " << spec[i].first;
    }
  }
}

TEST(TorchvisionToDetectorNameTest, FollowsThePapersSequentialNumbering) {
  EXPECT_EQ(*TorchvisionToDetectorName("conv1.weight"), "model.0.weight");
  EXPECT_EQ(*TorchvisionToDetectorName("bn1.running_var"), "model.1.running_var");
  EXPECT_EQ(*TorchvisionToDetectorName("layer1.0.conv1.weight"), "model.4.0.conv1.weight");
  EXPECT_EQ(*TorchvisionToDetectorName("layer4.2.downsample.1.bias"),
            "model.7.2.downsample.1.bias");
  EXPECT_FALSE(TorchvisionToDetectorName("fc.weight").has_value());
  EXPECT_FALSE(TorchvisionToDetectorName("conv10.weight").has_value());
}

TEST(ConvertWeightsTest, DetectorStateDictRoundTripsIntoTheModel) {
  const std::string output = TestTempPath("tiny.safetensors");
  absl::StatusOr<ConversionReport> report =
      ConvertWeights(kDir + "tiny_detector.pt", "tiny", output);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->layout, SourceLayout::kDetector);
  EXPECT_TRUE(report->skipped.empty());
  const std::string table = report->Table(false);
  EXPECT_THAT(table, HasSubstr("F16->F32"));
  EXPECT_THAT(table, HasSubstr("Every target tensor comes from the file"));

  nn::Detector detector(nn::GetPreset("tiny")->detector);
  nn::io::CheckpointMetadata metadata;
  ASSERT_TRUE(nn::io::LoadCheckpoint(output, &detector, &metadata).ok());
  EXPECT_EQ(metadata.preset, "tiny");
  EXPECT_EQ(metadata.input_size, 32);
  EXPECT_EQ(metadata.label_order, "REAL,FAKE");
  EXPECT_EQ(metadata.extras.at("converted_from"), "tiny_detector.pt");
  absl::StatusOr<nn::io::TensorMap> source =
      nn::io::ReadPyTorchStateDict(kDir + "tiny_detector.pt");
  ASSERT_TRUE(source.ok());
  for (const auto& [name, tensor] : detector.NamedState()) {
    const nn::Tensor& expected = source->at(name);
    ASSERT_EQ(tensor->shape(), expected.shape()) << name;
    for (int64_t i = 0; i < expected.numel(); ++i) {
      ASSERT_EQ(tensor->data<float>()[i], expected.data<float>()[i]) << name;
    }
  }
}

TEST(ConvertWeightsTest, TorchvisionBackboneLeavesTheHeadFreshAndSaysSo) {
  const std::string output = TestTempPath("tiny_from_imagenet.safetensors");
  absl::StatusOr<ConversionReport> report =
      ConvertWeights(kDir + "tiny_torchvision.pth", "tiny", output);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->layout, SourceLayout::kTorchvisionResNeXt);
  ASSERT_EQ(report->skipped.size(), 2u);
  EXPECT_EQ(report->skipped[0].first, "fc.weight");
  const std::string table = report->Table(false);
  EXPECT_THAT(table, HasSubstr("layer1.*"));
  EXPECT_THAT(table, HasSubstr("model.4.*"));
  EXPECT_THAT(table, HasSubstr("BF16->F32"));
  EXPECT_THAT(table, HasSubstr("ImageNet classifier"));
  EXPECT_THAT(table, HasSubstr("still lacks trained weights for linear1, lstm"));
  EXPECT_THAT(report->Table(true), HasSubstr("layer1.0.conv2.weight"));

  nn::Detector detector(nn::GetPreset("tiny")->detector);
  nn::io::CheckpointMetadata metadata;
  ASSERT_TRUE(nn::io::LoadCheckpoint(output, &detector, &metadata).ok());
  EXPECT_EQ(metadata.extras.at("freshly_initialised"), "linear1,lstm");
  absl::StatusOr<nn::io::TensorMap> source =
      nn::io::ReadPyTorchStateDict(kDir + "tiny_torchvision.pth");
  ASSERT_TRUE(source.ok());
  for (const auto& [name, tensor] : detector.NamedState()) {
    if (name.rfind("model.", 0) != 0) continue;
    std::string torchvision_name;
    for (const auto& [tv, t] : *source) {
      if (TorchvisionToDetectorName(tv) == name) torchvision_name = tv;
    }
    ASSERT_FALSE(torchvision_name.empty()) << name;
    const nn::Tensor& expected = source->at(torchvision_name);
    for (int64_t i = 0; i < expected.numel(); ++i) {
      ASSERT_EQ(tensor->data<float>()[i], expected.data<float>()[i]) << name;
    }
  }
}

TEST(ConvertWeightsTest, RefusesAShapeThePresetDoesNotHaveAndWritesNothing) {
  const std::string output = TestTempPath("wrong.safetensors");
  absl::StatusOr<ConversionReport> report = ConvertWeights(kDir + "wrong_shape.pt", "tiny", output);
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(std::string(report.status().message()),
              HasSubstr("model.0.weight: preset 'tiny' expects [8, 3, 7, 7] but the file has "
                        "[8, 3, 3, 3]"));
  EXPECT_FALSE(Exists(output));
}

TEST(ConvertWeightsTest, RefusesTheWrongPresetListingTheDifferences) {
  absl::StatusOr<ConversionReport> report =
      ConvertWeights(kDir + "tiny_detector.pt", "jadhav2020", TestTempPath("x.safetensors"));
  ASSERT_FALSE(report.ok());
  const std::string message(report.status().message());
  EXPECT_THAT(message, HasSubstr("does not fit preset 'jadhav2020'"));
  EXPECT_THAT(message, HasSubstr("mismatched"));
  EXPECT_THAT(message, HasSubstr("missing"));
  EXPECT_THAT(message, HasSubstr("unexpected"));
}

TEST(ConvertWeightsTest, RefusesHostileAndBrokenFiles) {
  for (const char* name : {"exploit.pt", "truncated.pt", "short_storage.pt", "extent.pt",
                           "not_a_checkpoint.pt", "dtypes.pt"}) {
    const std::string output = TestTempPath(std::string(name) + ".safetensors");
    absl::StatusOr<ConversionReport> report = ConvertWeights(kDir + name, "tiny", output);
    EXPECT_FALSE(report.ok()) << name;
    EXPECT_THAT(std::string(report.status().message()), HasSubstr(kDir + name));
    EXPECT_FALSE(Exists(output)) << name;
  }
  absl::StatusOr<ConversionReport> report =
      ConvertWeights(kDir + "tiny_detector.pt", "huge", TestTempPath("y.safetensors"));
  EXPECT_THAT(std::string(report.status().message()), HasSubstr("unknown model preset 'huge'"));
}

}  // namespace
}  // namespace tools
