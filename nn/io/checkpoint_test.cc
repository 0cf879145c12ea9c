// Checkpoint save/load round trips and every LoadCheckpoint error case.
#include "nn/io/checkpoint.h"

#include "nn/io/dtypes.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "base/testing/test_paths.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nn::io {
namespace {

using ::base::testing::TestTempPath;

using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

void FillPattern(Tensor* t, float seed) {
  for (int64_t i = 0; i < t->numel(); ++i) t->data<float>()[i] = std::sin(seed + 0.37f * i);
}

class Linear : public Module {
 public:
  Linear(int in, int out) {
    weight = RegisterParameter("weight", Tensor::Zeros({out, in}));
    bias = RegisterParameter("bias", Tensor::Zeros({out}));
  }
  Parameter* weight;
  Parameter* bias;
};

class Norm : public Module {
 public:
  explicit Norm(int n) {
    RegisterParameter("weight", Tensor::Full({n}, 1.0f));
    running_mean = RegisterBuffer("running_mean", Tensor::Zeros({n}));
  }
  Tensor* running_mean;
};

// fc1 -> bn -> [fc2]
class TinyNet : public Module {
 public:
  explicit TinyNet(int hidden = 4, bool head = true) {
    RegisterModule("fc1", std::make_unique<Linear>(3, hidden));
    RegisterModule("bn", std::make_unique<Norm>(hidden));
    if (head) RegisterModule("fc2", std::make_unique<Linear>(hidden, 2));
  }
  void Fill(float seed) {
    for (auto& [name, tensor] : NamedState()) FillPattern(tensor, seed += 1);
  }
  std::vector<std::vector<float>> Values() {
    std::vector<std::vector<float>> out;
    for (auto& [name, t] : NamedState()) {
      out.emplace_back(t->data<float>(), t->data<float>() + t->numel());
    }
    return out;
  }
};

CheckpointMetadata SampleMetadata() {
  CheckpointMetadata m;
  m.preset = "resnext50_lstm";
  m.input_size = 112;
  m.mean = {0.1f, 0.2f, 1.0f / 3.0f};
  m.std_dev = {0.5f, 0.25f, 0.7f};
  m.channel_order = "BGR";
  m.label_order = "FAKE,REAL";
  m.step = 12345;
  m.extras = {{"dataset", "dfdc-part-0"}, {"note", "a, b = c"}};
  return m;
}

TEST(CheckpointTest, RoundTripsStateAndMetadata) {
  const std::string path = TestTempPath("roundtrip.safetensors");
  TinyNet saved;
  saved.Fill(1.0f);
  ASSERT_TRUE(SaveCheckpoint(path, saved, SampleMetadata()).ok());

  TinyNet loaded;
  loaded.Fill(-7.0f);
  CheckpointMetadata m;
  absl::Status status = LoadCheckpoint(path, &loaded, &m);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(loaded.Values(), saved.Values());
  const CheckpointMetadata expected = SampleMetadata();
  EXPECT_EQ(m.preset, expected.preset);
  EXPECT_EQ(m.input_size, 112);
  EXPECT_EQ(m.mean, expected.mean);  // floats round-trip exactly
  EXPECT_EQ(m.std_dev, expected.std_dev);
  EXPECT_EQ(m.channel_order, "BGR");
  EXPECT_EQ(m.label_order, "FAKE,REAL");
  EXPECT_EQ(m.step, 12345);
  EXPECT_EQ(m.extras, expected.extras);
  EXPECT_EQ(ReadBytes(path + ".tmp"), "");  // atomic write left no temporary behind
}

// Float16 storage: half the bytes, the metadata kept (plus "storage"), and loading widens
// each value to the float32 its rounding gives.
TEST(CheckpointTest, Float16CopyLoadsAsRoundedFloat32) {
  const std::string path = TestTempPath("f32.safetensors");
  const std::string half = TestTempPath("f16.safetensors");
  TinyNet saved;
  saved.Fill(2.0f);
  ASSERT_TRUE(SaveCheckpoint(path, saved, SampleMetadata()).ok());
  ASSERT_TRUE(WriteFloat16Checkpoint(path, half).ok());
  absl::StatusOr<SafetensorsHeader> header = ReadSafetensorsHeader(half);
  ASSERT_TRUE(header.ok()) << header.status();
  for (const auto& [name, entry] : header->entries) EXPECT_EQ(entry.dtype, "F16") << name;
  EXPECT_EQ(header->metadata.at("storage"), "float16");
  EXPECT_LT(ReadBytes(half).size(), ReadBytes(path).size());

  TinyNet loaded;
  CheckpointMetadata m;
  absl::Status status = LoadCheckpoint(half, &loaded, &m);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(m.step, 12345);
  EXPECT_EQ(m.extras.at("dataset"), "dfdc-part-0");
  std::vector<std::vector<float>> expected = saved.Values();
  for (auto& values : expected) {
    for (float& v : values) v = HalfToFloat(FloatToHalf(v));
  }
  EXPECT_EQ(loaded.Values(), expected);
  EXPECT_NE(loaded.Values(), saved.Values());  // rounding happened

  // A value float16 cannot hold is refused, naming the tensor.
  saved.NamedState()[0].second->data<float>()[0] = 1e6f;
  ASSERT_TRUE(SaveCheckpoint(path, saved, {}).ok());
  const absl::Status big = WriteFloat16Checkpoint(path, half);
  EXPECT_EQ(big.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(big.message(), HasSubstr("fc1.weight"));
}

// Loading reads into host tensors and copies them into the model's own tensors with
// Tensor::CopyFrom (which crosses devices): every tensor keeps its storage, so a model that
// lives on another device is loaded in place, and no tensor is replaced.
TEST(CheckpointTest, LoadsIntoTheModelsOwnTensors) {
  const std::string path = TestTempPath("in_place.safetensors");
  TinyNet saved;
  saved.Fill(3.0f);
  ASSERT_TRUE(SaveCheckpoint(path, saved, {}).ok());

  absl::StatusOr<std::vector<Tensor>> host = ReadModuleState(path, "", &saved);
  ASSERT_TRUE(host.ok()) << host.status();
  for (const Tensor& t : *host) EXPECT_TRUE(t.device().is_cpu()) << t;

  TinyNet loaded;
  std::vector<Tensor> aliases;  // share storage with the model's tensors
  for (auto& [name, tensor] : loaded.NamedState()) aliases.push_back(*tensor);
  ASSERT_TRUE(LoadCheckpoint(path, &loaded).ok());
  const std::vector<std::pair<std::string, Tensor*>> state = loaded.NamedState();
  const std::vector<std::vector<float>> expected = saved.Values();
  ASSERT_EQ(state.size(), aliases.size());
  for (size_t i = 0; i < state.size(); ++i) {
    EXPECT_TRUE(state[i].second->SharesStorageWith(aliases[i])) << state[i].first;
    EXPECT_EQ(
        std::vector<float>(aliases[i].data<float>(), aliases[i].data<float>() + aliases[i].numel()),
        expected[i])
        << state[i].first;
  }
}

TEST(CheckpointTest, UsesPyTorchStateDictNames) {
  const std::string path = TestTempPath("names.safetensors");
  TinyNet net;
  ASSERT_TRUE(SaveCheckpoint(path, net, {}).ok());
  absl::StatusOr<SafetensorsHeader> header = ReadSafetensorsHeader(path);
  ASSERT_TRUE(header.ok());
  std::vector<std::string> names;
  for (const auto& [name, entry] : header->entries) names.push_back(name);
  EXPECT_THAT(names, ::testing::ElementsAre("bn.running_mean", "bn.weight", "fc1.bias",
                                            "fc1.weight", "fc2.bias", "fc2.weight"));
  EXPECT_EQ(header->metadata.at("format"), "deepfake-checkpoint");
}

TEST(CheckpointTest, FileWithoutMetadataLoadsWithDefaults) {
  const std::string path = TestTempPath("plain.safetensors");
  TinyNet source;
  source.Fill(2.0f);
  TensorMap tensors;
  for (auto& [name, t] : source.NamedState()) tensors[name] = *t;
  ASSERT_TRUE(WriteSafetensors(path, tensors).ok());
  TinyNet net;
  CheckpointMetadata m;
  m.step = 99;
  ASSERT_TRUE(LoadCheckpoint(path, &net, &m).ok());
  EXPECT_EQ(net.Values(), source.Values());
  EXPECT_EQ(m.step, 0);
  EXPECT_EQ(m.channel_order, "RGB");
  EXPECT_EQ(m.input_size, 224);
}

class CheckpointErrorTest : public ::testing::Test {
 protected:
  // Loads `path` into a fresh TinyNet with known values; checks the net was not touched.
  absl::Status Load(const std::string& path, int hidden = 4, bool head = true) {
    TinyNet net(hidden, head);
    net.Fill(5.0f);
    const auto before = net.Values();
    CheckpointMetadata m;
    m.preset = "untouched";
    absl::Status status = LoadCheckpoint(path, &net, &m);
    if (!status.ok()) {
      EXPECT_EQ(net.Values(), before) << "a failed load changed the model";
      EXPECT_EQ(m.preset, "untouched");
      EXPECT_THAT(status.message(), HasSubstr(path)) << "the message must name the file";
    }
    return status;
  }
  std::string Save(const std::string& name, int hidden = 4, bool head = true) {
    const std::string path = TestTempPath(name);
    TinyNet net(hidden, head);
    EXPECT_TRUE(SaveCheckpoint(path, net, SampleMetadata()).ok());
    return path;
  }
};

TEST_F(CheckpointErrorTest, Missing) {
  const absl::Status s = Load(Save("nohead.safetensors", 4, /*head=*/false));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("does not match the model: missing 2 (fc2.weight, fc2.bias)"));
  EXPECT_THAT(s.message(), Not(HasSubstr("unexpected")));
}

TEST_F(CheckpointErrorTest, Unexpected) {
  const absl::Status s = Load(Save("head.safetensors"), 4, /*head=*/false);
  EXPECT_THAT(s.message(), HasSubstr("unexpected 2 (fc2.bias, fc2.weight)"));
  EXPECT_THAT(s.message(), Not(HasSubstr("missing")));
}

TEST_F(CheckpointErrorTest, WrongShapes) {
  const absl::Status s = Load(Save("hidden5.safetensors", 5));
  EXPECT_THAT(s.message(), HasSubstr("mismatched 5 (fc1.weight: expected F32 [4, 3] vs found F32 "
                                     "[5, 3], fc1.bias: expected F32 [4] vs found F32 [5], "));
  EXPECT_THAT(s.message(), HasSubstr("fc2.weight: expected F32 [2, 4] vs found F32 [2, 5])"));
}

TEST_F(CheckpointErrorTest, EverythingAtOnce) {
  const absl::Status s = Load(Save("all.safetensors", 5, /*head=*/false), 4, /*head=*/true);
  EXPECT_THAT(s.message(), HasSubstr("missing 2 (fc2.weight, fc2.bias)"));
  EXPECT_THAT(s.message(), HasSubstr("mismatched 4 (fc1.weight: expected F32 [4, 3] vs found"));
}

TEST_F(CheckpointErrorTest, WrongDType) {
  const std::string path = TestTempPath("f16.safetensors");
  TinyNet net;
  TensorMap tensors;
  for (auto& [name, t] : net.NamedState()) tensors[name] = *t;
  tensors["bn.running_mean"] = Tensor::Zeros({4}, DType::kBFloat16);
  ASSERT_TRUE(WriteSafetensors(path, tensors).ok());
  EXPECT_THAT(Load(path).message(),
              HasSubstr("mismatched 1 (bn.running_mean: expected F32 [4] vs found BF16 [4])"));
}

TEST_F(CheckpointErrorTest, Truncated) {
  const std::string path = Save("truncated.safetensors");
  const std::string bytes = ReadBytes(path);
  WriteBytes(path, bytes.substr(0, bytes.size() - 10));
  const absl::Status s = Load(path);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("truncated"));
}

TEST_F(CheckpointErrorTest, NotSafetensors) {
  const std::string path = TestTempPath("text.safetensors");
  WriteBytes(path, "this is a text file, not a checkpoint at all\n");
  EXPECT_THAT(Load(path).message(), HasSubstr("not a valid safetensors file"));
  WriteBytes(path, "abc");
  EXPECT_THAT(Load(path).message(), HasSubstr("shorter than the 8-byte header length"));
}

TEST_F(CheckpointErrorTest, NoSuchFile) {
  const absl::Status s = Load(TestTempPath("does_not_exist.safetensors"));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("cannot open"));
}

TEST_F(CheckpointErrorTest, MalformedMetadata) {
  const std::string path = TestTempPath("meta.safetensors");
  TinyNet net;
  TensorMap tensors;
  for (auto& [name, t] : net.NamedState()) tensors[name] = *t;
  const std::vector<std::pair<Metadata, std::string>> cases = {
      {{{"channel_order", "XYZ"}}, "'channel_order' = 'XYZ' is not RGB or BGR"},
      {{{"mean", "0.1,0.2"}}, "'mean' = '0.1,0.2' is not 3 comma-separated numbers"},
      {{{"std", "a,b,c"}}, "'std' = 'a,b,c' is not 3 comma-separated numbers"},
      {{{"input_size", "-4"}}, "'input_size' = '-4' is not a positive integer"},
      {{{"step", "x"}}, "'step' = 'x' is not a non-negative integer"},
      {{{"format_version", "2"}}, "written by a newer version"},
      {{{"format", "deepfake-training-state"}}, "is not 'deepfake-checkpoint'"},
  };
  for (const auto& [metadata, message] : cases) {
    ASSERT_TRUE(WriteSafetensors(path, tensors, metadata).ok());
    EXPECT_THAT(Load(path).message(), HasSubstr(message));
  }
}

TEST(CheckpointSaveTest, RejectsReservedExtras) {
  TinyNet net;
  CheckpointMetadata m;
  m.extras["step"] = "3";
  const std::string path = TestTempPath("reserved.safetensors");
  const absl::Status s = SaveCheckpoint(path, net, m);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("extra metadata key 'step' is reserved"));
  EXPECT_EQ(ReadBytes(path), "");
}

TEST(CheckpointSaveTest, UnwritableDirectoryIsAnError) {
  TinyNet net;
  const absl::Status s = SaveCheckpoint("/nonexistent_dir/x.safetensors", net, {});
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("/nonexistent_dir/x.safetensors"));
}

}  // namespace
}  // namespace nn::io
