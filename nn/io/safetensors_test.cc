#include "nn/io/safetensors.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "base/testing/test_paths.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nn::io {
namespace {

using ::base::testing::TestTempPath;

using ::testing::ElementsAre;
using ::testing::HasSubstr;

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A file with the given JSON header and `data_bytes` zero bytes of data.
std::string MakeFile(const std::string& header, size_t data_bytes) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + std::string(data_bytes, '\0');
}

std::vector<float> Values(const Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.numel());
}

TEST(SafetensorsTest, RoundTripWithMetadata) {
  const std::string path = TestTempPath("roundtrip.safetensors");
  TensorMap tensors;
  tensors["layer1.0.conv1.weight"] = Tensor::FromVector({2, 1, 1, 2}, {1, 2, 3, 4});
  tensors["bn1.running_var"] = Tensor::FromVector({3}, {0.5f, 1, 2});
  tensors["empty"] = Tensor::Zeros({0, 3});
  ASSERT_TRUE(WriteSafetensors(path, tensors, {{"preset", "default"}}).ok());

  Metadata metadata;
  absl::StatusOr<TensorMap> read = ReadSafetensors(path, &metadata);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(metadata.at("preset"), "default");
  ASSERT_EQ(read->size(), 3u);
  EXPECT_EQ(read->at("layer1.0.conv1.weight").shape(), (Shape{2, 1, 1, 2}));
  EXPECT_THAT(Values(read->at("layer1.0.conv1.weight")), ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(Values(read->at("bn1.running_var")), ElementsAre(0.5f, 1, 2));
  EXPECT_EQ(read->at("empty").shape(), (Shape{0, 3}));
}

TEST(SafetensorsTest, ReadsEveryDTypeWrittenByPython) {
  Metadata metadata;
  absl::StatusOr<TensorMap> read =
      ReadSafetensors("tests/fixtures/safetensors_python.safetensors", &metadata);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(metadata.at("step"), "12");
  const std::vector<float> expected = {0.5f, -1.25f, 3.0f, 1e-3f, 65504.0f, -0.0f};
  EXPECT_EQ(Values(read->at("f32")), expected);
  EXPECT_EQ(Values(read->at("f64")), expected);
  const std::vector<float> f16 = Values(read->at("f16"));
  EXPECT_EQ(f16[0], 0.5f);
  EXPECT_EQ(f16[4], 65504.0f);
  EXPECT_NEAR(f16[3], 1e-3f, 1e-6f);  // 1e-3 is not exact in half precision
  EXPECT_TRUE(std::signbit(f16[5]));
  EXPECT_THAT(Values(read->at("bf16")),
              ElementsAre(1.5f, -2.0f, 0.15625f, testing::FloatNear(3.0e38f, 1e36f)));
  EXPECT_THAT(Values(read->at("i64")), ElementsAre(0, -3, 16777216));
  EXPECT_EQ(read->at("scalar").rank(), 0);
  EXPECT_EQ(read->at("scalar").data<float>()[0], 7.0f);
  EXPECT_EQ(read->at("empty").shape(), (Shape{0, 4}));
}

TEST(SafetensorsTest, WriteIsAtomicAndKeepsTheOldFileOnFailure) {
  const std::string path = TestTempPath("no_such_dir/model.safetensors");
  absl::Status status = WriteSafetensors(path, {{"x", Tensor::Zeros({1})}});
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("no_such_dir/model.safetensors.tmp"));

  const std::string existing = TestTempPath("existing.safetensors");
  ASSERT_TRUE(WriteSafetensors(existing, {{"x", Tensor::Full({2}, 3)}}).ok());
  const std::string before = ReadBytes(existing);
  ASSERT_TRUE(WriteSafetensors(existing, {{"x", Tensor::Full({2}, 4)}}).ok());
  EXPECT_NE(ReadBytes(existing), before);
  EXPECT_FALSE(std::ifstream(existing + ".tmp").good());
}

struct BadFileCase {
  std::string name;
  std::string bytes;
  std::string message;
};

class SafetensorsBadFileTest : public ::testing::TestWithParam<BadFileCase> {};

TEST_P(SafetensorsBadFileTest, IsAClearErrorNamingTheFile) {
  const std::string path = TestTempPath(GetParam().name + ".safetensors");
  WriteBytes(path, GetParam().bytes);
  absl::StatusOr<TensorMap> read = ReadSafetensors(path);
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(std::string(read.status().message()), HasSubstr(path));
  EXPECT_THAT(std::string(read.status().message()), HasSubstr(GetParam().message));
}

const char kGoodEntry[] = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";

INSTANTIATE_TEST_SUITE_P(
    All, SafetensorsBadFileTest,
    ::testing::Values(
        BadFileCase{"empty", "", "shorter than the 8-byte header length"},
        BadFileCase{"header_past_end", MakeFile(kGoodEntry, 8).substr(0, 20), "exceeds the file"},
        BadFileCase{"not_json", MakeFile("{not json", 0), "header is not a JSON object"},
        BadFileCase{"zip", std::string("PK\x03\x04") + std::string(60, 'x'), "exceeds the file"},
        BadFileCase{"truncated_data", MakeFile(kGoodEntry, 4), "file truncated?"},
        BadFileCase{"wrong_byte_count",
                    MakeFile(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8),
                    "holds 8 bytes but F32 x 3 elements needs 12"},
        BadFileCase{"bad_dtype",
                    MakeFile(R"({"w":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}})", 8),
                    "unsupported dtype C64"},
        BadFileCase{"missing_fields", MakeFile(R"({"w":{"dtype":"F32"}})", 0),
                    "needs dtype, shape and data_offsets"},
        BadFileCase{"overlap",
                    MakeFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                             8),
                    "tensors overlap"},
        BadFileCase{"negative_dim",
                    MakeFile(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}})", 8),
                    "bad shape"}),
    [](const ::testing::TestParamInfo<BadFileCase>& info) { return info.param.name; });

TEST(SafetensorsTest, MissingFileIsNotFound) {
  absl::StatusOr<TensorMap> read = ReadSafetensors(TestTempPath("absent.safetensors"));
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(read.status().message()), HasSubstr("absent.safetensors: cannot open"));
}

}  // namespace
}  // namespace nn::io
