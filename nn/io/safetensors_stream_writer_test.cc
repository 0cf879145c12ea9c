// SafetensorsStreamWriter: files that ReadSafetensors reads back exactly, and atomicity.
#include "nn/io/safetensors_stream_writer.h"

#include <sys/stat.h>

#include <string>

#include "base/testing/test_paths.h"
#include "gtest/gtest.h"
#include "nn/io/safetensors.h"

namespace nn::io {
namespace {

using ::base::testing::TestTempPath;

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// Bytes tensors ("U8", e.g. image crops) beside float32 ones: ReadSafetensors reads them
// back as the same values in float32.
TEST(SafetensorsStreamWriterTest, WritesU8TensorsBesideFloat32) {
  const std::string path = TestTempPath("u8.safetensors");
  auto writer = SafetensorsStreamWriter::CreateTyped(
      path, {{"pixels", Shape{2, 2}, "U8"}, {"f", Shape{1}, "F32"}}, {});
  ASSERT_TRUE(writer.ok()) << writer.status();
  const uint8_t pixels[4] = {0, 1, 128, 255};
  const float f = 0.25f;
  ASSERT_TRUE((*writer)->AppendU8("pixels", pixels, 4).ok());
  ASSERT_TRUE((*writer)->Append("f", &f, 1).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  absl::StatusOr<TensorMap> read = ReadSafetensors(path);
  ASSERT_TRUE(read.ok()) << read.status();
  const Tensor& p = read->at("pixels");
  EXPECT_EQ(p.shape(), (Shape{2, 2}));
  EXPECT_EQ(p.data<float>()[0], 0.0f);
  EXPECT_EQ(p.data<float>()[1], 1.0f);
  EXPECT_EQ(p.data<float>()[2], 128.0f);
  EXPECT_EQ(p.data<float>()[3], 255.0f);
  EXPECT_EQ(read->at("f").data<float>()[0], 0.25f);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  // 8-byte length + header + 4 + 4 bytes: the U8 tensor takes one byte per element.
  EXPECT_LT(st.st_size, 8 + 200 + 8);
}

TEST(SafetensorsStreamWriterTest, WritesTensorsInHeaderOrderWithMetadata) {
  const std::string path = TestTempPath("streamed.safetensors");
  auto writer = SafetensorsStreamWriter::Create(
      path, {{"b", Shape{2, 3}}, {"a", Shape{}}, {"e", Shape{0}}}, {{"preset", "tiny"}});
  ASSERT_TRUE(writer.ok()) << writer.status();
  const float b[6] = {1, 2, 3, 4, 5, 6}, a = -7.5f;
  ASSERT_TRUE((*writer)->Append("b", b, 6).ok());
  EXPECT_FALSE(Exists(path));  // nothing at `path` until Finish
  ASSERT_TRUE((*writer)->Append("a", &a, 1).ok());
  ASSERT_TRUE((*writer)->Append("e", nullptr, 0).ok());
  ASSERT_TRUE((*writer)->Finish().ok());

  Metadata metadata;
  absl::StatusOr<TensorMap> read = ReadSafetensors(path, &metadata);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(metadata.at("preset"), "tiny");
  ASSERT_EQ(read->at("b").shape(), Shape({2, 3}));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(read->at("b").data<float>()[i], b[i]);
  EXPECT_EQ(read->at("a").rank(), 0);
  EXPECT_EQ(read->at("a").data<float>()[0], a);
  EXPECT_EQ(read->at("e").numel(), 0);
}

TEST(SafetensorsStreamWriterTest, AbandonedWriterLeavesNoFile) {
  const std::string path = TestTempPath("abandoned.safetensors");
  {
    auto writer = SafetensorsStreamWriter::Create(path, {{"x", Shape{4}}}, {});
    ASSERT_TRUE(writer.ok());
  }
  EXPECT_FALSE(Exists(path));
  EXPECT_FALSE(Exists(path + ".tmp"));
}

TEST(SafetensorsStreamWriterDeathTest, AppendOutOfOrderIsAProgrammerError) {
  const std::string path = TestTempPath("order.safetensors");
  auto writer = SafetensorsStreamWriter::Create(path, {{"x", Shape{1}}, {"y", Shape{1}}}, {});
  ASSERT_TRUE(writer.ok());
  const float v = 1;
  EXPECT_DEATH((void)(*writer)->Append("y", &v, 1), "header's next tensor is x");
}

}  // namespace
}  // namespace nn::io
