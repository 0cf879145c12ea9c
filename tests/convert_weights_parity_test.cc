// Converted weights give PyTorch's answers: Debian's python3-torch builds the real
// architectures (torchvision resnext50_32x4d, the paper's Model class, the `default`
// detector) with pseudo-random weights, saves their state_dicts as users have them (plain,
// {"state_dict": ...} wrapper, DataParallel "module." prefix) and runs them in eval mode
// (tools/pytorch_ref/gen_checkpoint_fixtures.py --parity, at test time: the files are
// ~600 MB). The converted checkpoints must reproduce the outputs to 1e-4.
#include <cmath>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nn/io/pytorch_checkpoint.h"
#include "nn/io/safetensors.h"
#include "nn/models/resnext.h"
#include "nn/testing/tensor_matchers.h"
#include "tools/convert_weights.h"

namespace {

using ::testing::HasSubstr;

constexpr double kTolerance = 1e-4;

class ConvertWeightsParityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* tmp = std::getenv("TEST_TMPDIR");
    dir_ = new std::string(absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/parity"));
    const std::string check = "/usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null";
    if (std::system(check.c_str()) != 0) {
      FAIL() << "this test needs Debian's python3-torch and python3-torchvision under "
                "/usr/bin/python3 (third_party/debian.lock): run tools/setup.sh";
    }
    const std::string generate =
        "/usr/bin/python3 tools/pytorch_ref/gen_checkpoint_fixtures.py --parity " + *dir_;
    ASSERT_EQ(std::system(generate.c_str()), 0) << "failed: " << generate;
  }
  static std::string Path(const std::string& name) { return *dir_ + "/" + name; }

  // Converts `input` for `preset` and compares with the reference; returns the report.
  static std::string ConvertAndVerify(const std::string& input, const std::string& preset,
                                      const std::string& reference) {
    const std::string output = Path(input + "." + preset + ".safetensors");
    absl::StatusOr<tools::ConversionReport> report =
        tools::ConvertWeights(Path(input), preset, output);
    EXPECT_TRUE(report.ok()) << report.status();
    if (!report.ok()) return "";
    absl::StatusOr<tools::VerifyResult> verified = tools::VerifyCheckpoint(output, Path(reference));
    EXPECT_TRUE(verified.ok()) << verified.status();
    if (!verified.ok()) return "";
    EXPECT_LE(verified->max_abs_diff, kTolerance)
        << input << " -> " << preset << ": " << verified->compared;
    EXPECT_GT(verified->max_abs_reference, 1e-2) << "reference outputs too small to compare";
    std::printf("%s -> %s: max abs difference %.3g on %s %s (largest |value| %.3g)\n",
                input.c_str(), preset.c_str(), verified->max_abs_diff, verified->compared.c_str(),
                verified->shape.ToString().c_str(), verified->max_abs_reference);
    return report->Table(false);
  }

  static std::string* dir_;
};
std::string* ConvertWeightsParityTest::dir_ = nullptr;

TEST_F(ConvertWeightsParityTest, PapersCheckpointIntoJadhav2020) {
  const std::string table =
      ConvertAndVerify("jadhav2020.pt", "jadhav2020", "jadhav2020.ref.safetensors");
  EXPECT_THAT(table, HasSubstr("Every target tensor comes from the file"));
}

TEST_F(ConvertWeightsParityTest, DataParallelCheckpointIntoJadhav2020) {
  const std::string table =
      ConvertAndVerify("jadhav2020_dataparallel.pt", "jadhav2020", "jadhav2020.ref.safetensors");
  EXPECT_THAT(table, HasSubstr("removed the DataParallel prefix 'module.'"));
}

TEST_F(ConvertWeightsParityTest, WrappedStateDictIntoDefault) {
  const std::string table =
      ConvertAndVerify("default_wrapped.pt", "default", "default.ref.safetensors");
  EXPECT_THAT(table, HasSubstr("using the 'state_dict' entry (ignoring epoch, best_auc)"));
}

TEST_F(ConvertWeightsParityTest, TorchvisionImageNetWeightsIntoTheDefaultBackbone) {
  const std::string table =
      ConvertAndVerify("resnext50.pth", "default", "resnext50.ref.safetensors");
  EXPECT_THAT(table, HasSubstr("still lacks trained weights for linear1, lstm"));
}

// The reader alone, with torchvision's names, into the ImageNet classifier (fc included).
TEST_F(ConvertWeightsParityTest, TorchvisionClassifierLogits) {
  absl::StatusOr<nn::io::TensorMap> weights = nn::io::ReadPyTorchStateDict(Path("resnext50.pth"));
  ASSERT_TRUE(weights.ok()) << weights.status();
  nn::ResNeXtOptions options;
  options.num_classes = 1000;
  nn::ResNeXt net(options);
  for (auto& [name, tensor] : net.NamedState()) {
    auto it = weights->find(name);
    ASSERT_NE(it, weights->end()) << name;
    tensor->CopyFrom(it->second);
  }
  EXPECT_EQ(weights->size(), net.NamedState().size());
  absl::StatusOr<nn::io::TensorMap> reference =
      nn::io::ReadSafetensors(Path("resnext50.logits.safetensors"));
  ASSERT_TRUE(reference.ok()) << reference.status();
  net.Eval();
  const nn::Tensor logits = net.Forward(reference->at("input"));
  const nn::Tensor& expected = reference->at("logits");
  ASSERT_EQ(logits.shape(), expected.shape());
  const nn::testing::TensorDifference difference =
      nn::testing::CompareTensors(logits, expected, {kTolerance, 0});
  std::printf("resnext50 ImageNet logits: max abs difference %.3g (largest |value| %.3g)\n",
              difference.max_abs_error, difference.max_abs_expected);
  EXPECT_TRUE(nn::testing::TensorsNear(logits, expected, {kTolerance, 0}));
  EXPECT_GT(difference.max_abs_expected, 1e-2);
}

}  // namespace
