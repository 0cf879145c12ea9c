// The PyTorch checkpoint reader on files written by PyTorch 1.13
// (tools/pytorch_ref/gen_checkpoint_fixtures.py): every dtype, strided views, both formats,
// wrappers and prefixes, and hostile or broken files, each refused with a clear message.
#include "nn/io/pytorch_checkpoint.h"

#include <sys/stat.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nn/io/pickle.h"
#include "nn/io/safetensors.h"

namespace nn::io {
namespace {

using ::testing::HasSubstr;

const std::string kDir = "tests/fixtures/checkpoints/";

void ExpectSameValues(const TensorMap& actual, const TensorMap& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (const auto& [name, e] : expected) {
    auto it = actual.find(name);
    ASSERT_NE(it, actual.end()) << name;
    ASSERT_EQ(it->second.shape(), e.shape()) << name;
    for (int64_t i = 0; i < e.numel(); ++i) {
      ASSERT_EQ(it->second.data<float>()[i], e.data<float>()[i]) << name << "[" << i << "]";
    }
  }
}

TEST(PyTorchCheckpointTest, ZipFormatEveryDTypeAndStridedViews) {
  absl::StatusOr<TensorMap> expected = ReadSafetensors(kDir + "dtypes.expected.safetensors");
  ASSERT_TRUE(expected.ok()) << expected.status();
  absl::StatusOr<WeightsFile> file = WeightsFile::Open(kDir + "dtypes.pt");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->format(), WeightsFileFormat::kPyTorchZip);
  std::vector<std::string> names, dtypes;
  for (const StoredTensor& t : file->tensors()) {
    names.push_back(t.name);
    dtypes.push_back(t.dtype);
  }
  EXPECT_THAT(names, ::testing::ElementsAre("f32", "f16", "bf16", "f64", "i64", "scalar",
                                            "transposed", "row_view", "base", "empty"));
  EXPECT_THAT(dtypes, ::testing::ElementsAre("F32", "F16", "BF16", "F64", "I64", "I64", "F32",
                                             "F32", "F32", "F32"));
  EXPECT_EQ(file->Find("row_view")->storage_offset, 10);
  absl::StatusOr<TensorMap> read = ReadPyTorchStateDict(kDir + "dtypes.pt");
  ASSERT_TRUE(read.ok()) << read.status();
  ExpectSameValues(*read, *expected);
  EXPECT_EQ(read->at("scalar").rank(), 0);
}

TEST(PyTorchCheckpointTest, LegacyFormatGivesTheSameTensors) {
  absl::StatusOr<WeightsFile> file = WeightsFile::Open(kDir + "dtypes_legacy.pt");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->format(), WeightsFileFormat::kPyTorchLegacy);
  absl::StatusOr<TensorMap> read = ReadPyTorchStateDict(kDir + "dtypes_legacy.pt");
  ASSERT_TRUE(read.ok()) << read.status();
  ExpectSameValues(*read, *ReadSafetensors(kDir + "dtypes.expected.safetensors"));
}

TEST(PyTorchCheckpointTest, UnwrapsStateDictAndDataParallelPrefix) {
  absl::StatusOr<WeightsFile> file = WeightsFile::Open(kDir + "wrapped.pt");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_THAT(file->notes(),
              ::testing::ElementsAre("using the 'state_dict' entry (ignoring epoch, optimizer)",
                                     "removed the DataParallel prefix 'module.' from every name"));
  absl::StatusOr<TensorMap> read = ReadPyTorchStateDict(kDir + "wrapped.pt");
  ASSERT_TRUE(read.ok()) << read.status();
  ExpectSameValues(*read, *ReadSafetensors(kDir + "dtypes.expected.safetensors"));
}

TEST(PyTorchCheckpointTest, ReadsSafetensors) {
  absl::StatusOr<WeightsFile> file = WeightsFile::Open(kDir + "dtypes.expected.safetensors");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->format(), WeightsFileFormat::kSafetensors);
  absl::StatusOr<TensorMap> read = ReadPyTorchStateDict(kDir + "dtypes.expected.safetensors");
  ASSERT_TRUE(read.ok()) << read.status();
  ExpectSameValues(*read, *ReadSafetensors(kDir + "dtypes.expected.safetensors"));
}

std::string OpenError(const std::string& name) {
  absl::StatusOr<WeightsFile> file = WeightsFile::Open(kDir + name);
  EXPECT_FALSE(file.ok()) << name << " was accepted";
  if (file.ok()) return "";
  const std::string message(file.status().message());
  EXPECT_THAT(message, HasSubstr(kDir + name));  // every message names the file
  return message;
}

TEST(PyTorchCheckpointTest, RefusesPickledCodeWithoutRunningIt) {
  for (const char* name : {"exploit.pt", "exploit_legacy.pt"}) {
    const std::string message = OpenError(name);
    EXPECT_THAT(message, HasSubstr("refusing to load the global 'posix.system'")) << name;
    EXPECT_THAT(message, HasSubstr("Nothing in the file was executed")) << name;
    EXPECT_THAT(message, HasSubstr(".state_dict()")) << name;  // says how to re-save
    struct stat st;
    EXPECT_NE(stat("/tmp/deepfake_exploit_ran", &st), 0) << "the exploit ran";
  }
}

TEST(PyTorchCheckpointTest, RefusesOpcodesOutsideTheStateDictSubset) {
  EXPECT_THAT(OpenError("opcode.pt"), HasSubstr("opcode 0x69 ('i') is outside"));
}

TEST(PyTorchCheckpointTest, RefusesTruncatedArchive) {
  EXPECT_THAT(OpenError("truncated.pt"), HasSubstr("no end-of-central-directory record"));
}

TEST(PyTorchCheckpointTest, RefusesStorageShorterThanDeclared) {
  EXPECT_THAT(OpenError("short_storage.pt"),
              HasSubstr("storage '0' holds 8 bytes but is declared as 6 F32 elements (24 bytes)"));
}

TEST(PyTorchCheckpointTest, RefusesTensorReachingPastItsStorage) {
  EXPECT_THAT(OpenError("extent.pt"),
              HasSubstr("tensor 'weight' [10, 10] (storage offset 0, strides [10, 1]) reaches "
                        "element 99 but its storage '0' holds only 4 elements"));
}

TEST(PyTorchCheckpointTest, RefusesExtentsThatOverflowAndBroadcastViews) {
  EXPECT_THAT(OpenError("overflow.pt"), HasSubstr("reaches element beyond 2^63"));
  EXPECT_THAT(OpenError("broadcast.pt"),
              HasSubstr("tensor 'weight' [1000, 3] is a broadcast or overlapping view of a "
                        "3-element storage"));
}

TEST(PyTorchCheckpointTest, RefusesCompressedArchiveWithAdvice) {
  EXPECT_THAT(OpenError("compressed.pt"), HasSubstr("is compressed (ZIP method 8)"));
}

TEST(PyTorchCheckpointTest, RefusesFilesThatAreNotCheckpoints) {
  EXPECT_THAT(OpenError("not_a_checkpoint.pt"), HasSubstr("not a weights file"));
  EXPECT_THAT(OpenError("missing.pt"), HasSubstr("cannot open"));
}

// The unpickler directly, on hand-written pickles.
absl::StatusOr<pickle::ValuePtr> Unpickle(const std::string& bytes) {
  pickle::StringSource source(bytes);
  return pickle::Unpickle(source, "test.pkl", nullptr);
}

TEST(PickleTest, BuildsPlainValues) {
  // pickle.dumps({'a': l, 'b': ('xy', 70000, 1 << 40), 'c': l}, protocol=2) with
  // l = [1, -2, 3.5, True, None].
  const std::string bytes(
      "\x80\x02\x7d\x71\x00\x28\x58\x01\x00\x00\x00\x61\x71\x01\x5d\x71\x02\x28\x4b\x01\x4a\xfe"
      "\xff\xff\xff\x47\x40\x0c\x00\x00\x00\x00\x00\x00\x88\x4e\x65\x58\x01\x00\x00\x00\x62\x71"
      "\x03\x58\x02\x00\x00\x00\x78\x79\x71\x04\x4a\x70\x11\x01\x00\x8a\x06\x00\x00\x00\x00\x00"
      "\x01\x87\x71\x05\x58\x01\x00\x00\x00\x63\x71\x06\x68\x02\x75\x2e",
      82);
  absl::StatusOr<pickle::ValuePtr> v = Unpickle(bytes);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ((*v)->kind, pickle::Kind::kDict);
  ASSERT_EQ((*v)->entries.size(), 3u);
  const pickle::Value& list = *(*v)->entries[0].second;
  ASSERT_EQ(list.items.size(), 5u);
  EXPECT_EQ(list.items[0]->integer, 1);
  EXPECT_EQ(list.items[1]->integer, -2);
  EXPECT_EQ(list.items[2]->real, 3.5);
  EXPECT_TRUE(list.items[3]->boolean);
  EXPECT_EQ(list.items[4]->kind, pickle::Kind::kNone);
  const pickle::Value& tuple = *(*v)->entries[1].second;
  ASSERT_EQ(tuple.items.size(), 3u);
  EXPECT_EQ(tuple.items[0]->text, "xy");
  EXPECT_EQ(tuple.items[1]->integer, 70000);
  EXPECT_EQ(tuple.items[2]->integer, int64_t{1} << 40);
  EXPECT_EQ((*v)->entries[2].second.get(), &list);  // BINGET shares the memoised list
}

TEST(PickleTest, RefusesRecursiveStructuresAndGarbage) {
  // l = []; l.append(l)
  EXPECT_THAT(std::string(Unpickle(std::string("\x80\x02]q\x00h\x00\x61.", 8)).status().message()),
              HasSubstr("contains itself"));
  EXPECT_THAT(std::string(Unpickle("\x80\x02}").status().message()), HasSubstr("truncated"));
  EXPECT_THAT(std::string(Unpickle("\x80\x02s.").status().message()), HasSubstr("underflow"));
  EXPECT_THAT(std::string(Unpickle("\x80\x02h\x07.").status().message()),
              HasSubstr("memo entry 7 is not set"));
  EXPECT_THAT(std::string(Unpickle("\x80\x02\x63\x62uiltins\neval\n.").status().message()),
              HasSubstr("refusing to load the global 'builtins.eval'"));
  // A string longer than the input is refused before it is allocated.
  EXPECT_THAT(std::string(Unpickle("\x80\x02X\xff\xff\xff\x7f").status().message()),
              HasSubstr("truncated"));
}

}  // namespace
}  // namespace nn::io
