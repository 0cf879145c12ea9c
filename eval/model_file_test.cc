// Model files: a tiny-preset model saved with MetadataForModel loads back identical, with
// its provenance and the file's SHA-256; every kind of bad file is an error naming it.
#include "eval/model_file.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "base/sha256.h"
#include "base/testing/test_paths.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nn/io/checkpoint.h"
#include "nn/layers/init.h"
#include "nn/models/presets.h"

namespace eval {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

nn::ModelPreset Tiny() { return *nn::GetPreset("tiny"); }

ModelProvenance SampleProvenance() {
  ModelProvenance provenance;
  provenance.threshold = 0.4321098765432109;
  provenance.threshold_method = "val_balanced_accuracy";
  provenance.val_balanced_accuracy = 0.8125;
  provenance.training = {{"run", "tiny_run"}, {"epoch", 3}, {"step", 42}};
  return provenance;
}

// A tiny detector with seeded weights, saved at `path` with `metadata`.
void SaveTiny(const std::string& path, const nn::io::CheckpointMetadata& metadata,
              const nn::ModelPreset& preset = Tiny()) {
  nn::SetInitSeed(7);
  nn::Detector model(preset.detector);
  ASSERT_TRUE(nn::io::SaveCheckpoint(path, model, metadata).ok());
}

TEST(ModelFileTest, MetadataForModelDescribesThePreset) {
  const nn::io::CheckpointMetadata metadata = MetadataForModel(Tiny(), SampleProvenance(), 42);
  EXPECT_EQ(metadata.preset, "tiny");
  EXPECT_EQ(metadata.input_size, 32);
  EXPECT_EQ(metadata.channel_order, "RGB");
  EXPECT_EQ(metadata.label_order, "REAL,FAKE");
  EXPECT_EQ(metadata.step, 42);
  EXPECT_EQ(metadata.extras.at("threshold"), "0.43210987654321092");  // python: "%.17g" % x
  EXPECT_EQ(metadata.extras.at("threshold_method"), "val_balanced_accuracy");
  EXPECT_EQ(metadata.extras.at("val_balanced_accuracy"), "0.8125");
  EXPECT_EQ(metadata.extras.at("frames"), "4");
  EXPECT_EQ(nlohmann::json::parse(metadata.extras.at("training"))["run"], "tiny_run");
}

TEST(ModelFileTest, RoundTrip) {
  const std::string path = base::testing::TestTempPath("model.safetensors");
  SaveTiny(path, MetadataForModel(Tiny(), SampleProvenance(), 42));

  absl::StatusOr<LoadedModel> loaded = LoadModel(path, nn::Device::CPU());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->preset.name, "tiny");
  EXPECT_FALSE(loaded->model->is_training());
  EXPECT_EQ(loaded->metadata.step, 42);
  EXPECT_EQ(loaded->provenance.threshold, SampleProvenance().threshold);  // bit-exact
  EXPECT_EQ(loaded->provenance.threshold_method, "val_balanced_accuracy");
  EXPECT_EQ(loaded->provenance.val_balanced_accuracy, 0.8125);
  EXPECT_EQ(loaded->provenance.training, SampleProvenance().training);
  EXPECT_EQ(loaded->sha256, *base::Sha256FileHex(path));
  EXPECT_EQ(loaded->sha256.size(), 64u);

  nn::SetInitSeed(7);
  nn::Detector original(Tiny().detector);
  const auto expected = original.NamedState();
  const auto actual = loaded->model->NamedState();
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(actual[i].first, expected[i].first);
    ASSERT_EQ(actual[i].second->bytes(), expected[i].second->bytes()) << actual[i].first;
    EXPECT_EQ(std::memcmp(actual[i].second->raw_data(), expected[i].second->raw_data(),
                          actual[i].second->bytes()),
              0)
        << actual[i].first << " differs";
  }
}

TEST(ModelFileTest, DefaultsWithoutProvenance) {
  const std::string path = base::testing::TestTempPath("converted.safetensors");
  nn::io::CheckpointMetadata metadata = MetadataForModel(Tiny(), ModelProvenance(), 0);
  metadata.extras.clear();  // as a converted file without provenance
  SaveTiny(path, metadata);
  absl::StatusOr<LoadedModel> loaded = LoadModel(path, nn::Device::CPU());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->provenance.threshold, 0.5);
  EXPECT_EQ(loaded->provenance.threshold_method, "default");
  EXPECT_TRUE(std::isnan(loaded->provenance.val_balanced_accuracy));
  EXPECT_TRUE(loaded->provenance.training.empty());
}

TEST(ModelFileTest, MissingFile) {
  const std::string path = base::testing::TestTempPath("absent.safetensors");
  absl::StatusOr<LoadedModel> loaded = LoadModel(path, nn::Device::CPU());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(loaded.status().message(), path + ": no such model file");
}

TEST(ModelFileTest, TruncatedFile) {
  const std::string path = base::testing::TestTempPath("model.safetensors");
  SaveTiny(path, MetadataForModel(Tiny(), SampleProvenance(), 1));
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 100);
  absl::StatusOr<LoadedModel> loaded = LoadModel(path, nn::Device::CPU());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(loaded.status().message()),
              StartsWith(path + ": not a valid safetensors file"));
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("file truncated?"));
}

TEST(ModelFileTest, NotACheckpoint) {
  const std::string path = base::testing::TestTempPath("notes.safetensors");
  std::ofstream(path) << "these are not weights";
  absl::StatusOr<LoadedModel> loaded = LoadModel(path, nn::Device::CPU());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(loaded.status().message()),
              StartsWith(path + ": not a valid safetensors file"));
}

TEST(ModelFileTest, NoPreset) {
  const std::string path = base::testing::TestTempPath("model.safetensors");
  nn::io::CheckpointMetadata metadata = MetadataForModel(Tiny(), SampleProvenance(), 1);
  metadata.preset = "";
  SaveTiny(path, metadata);
  absl::StatusOr<LoadedModel> loaded = LoadModel(path, nn::Device::CPU());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(loaded.status().message()),
              StartsWith(path + ": the checkpoint names no model preset in its metadata"));
  EXPECT_THAT(std::string(loaded.status().message()),
              HasSubstr("known presets: default, jadhav2020"));
}

TEST(ModelFileTest, UnknownPreset) {
  const std::string path = base::testing::TestTempPath("model.safetensors");
  nn::io::CheckpointMetadata metadata = MetadataForModel(Tiny(), SampleProvenance(), 1);
  metadata.preset = "huge";
  SaveTiny(path, metadata);
  absl::StatusOr<LoadedModel> loaded = LoadModel(path, nn::Device::CPU());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(loaded.status().message(),
            path +
                ": metadata names unknown model preset 'huge'; known presets: default, "
                "jadhav2020, small, tiny");
}

TEST(ModelFileTest, PreprocessingThatContradictsThePreset) {
  const std::string path = base::testing::TestTempPath("model.safetensors");
  nn::io::CheckpointMetadata metadata = MetadataForModel(Tiny(), SampleProvenance(), 1);
  metadata.input_size = 64;
  metadata.channel_order = "BGR";
  SaveTiny(path, metadata);
  absl::StatusOr<LoadedModel> loaded = LoadModel(path, nn::Device::CPU());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(loaded.status().message(),
            path +
                ": metadata contradicts preset 'tiny': input_size 64 (preset: 32); "
                "channel_order BGR (preset: RGB)");
}

TEST(ModelFileTest, WeightsThatDoNotFit) {
  // A `small` model's weights under a `tiny` label.
  const std::string path = base::testing::TestTempPath("model.safetensors");
  SaveTiny(path, MetadataForModel(Tiny(), SampleProvenance(), 1), *nn::GetPreset("small"));
  absl::StatusOr<LoadedModel> loaded = LoadModel(path, nn::Device::CPU());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(loaded.status().message()),
              StartsWith(path + ": does not match the model: "));
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("mismatched"));
}

TEST(ModelFileTest, BadThreshold) {
  const std::string path = base::testing::TestTempPath("model.safetensors");
  nn::io::CheckpointMetadata metadata = MetadataForModel(Tiny(), SampleProvenance(), 1);
  metadata.extras["threshold"] = "1.5";
  SaveTiny(path, metadata);
  absl::StatusOr<LoadedModel> loaded = LoadModel(path, nn::Device::CPU());
  EXPECT_EQ(loaded.status().message(),
            path + ": metadata 'threshold' = '1.5' is not a probability in [0, 1]");
  metadata.extras["threshold"] = "half";
  SaveTiny(path, metadata);
  loaded = LoadModel(path, nn::Device::CPU());
  EXPECT_EQ(loaded.status().message(), path + ": metadata 'threshold' = 'half' is not a number");
}

}  // namespace
}  // namespace eval
