// Tests for XXH64: values pinned to the reference implementation (libxxhash 0.8.1) for
// every code path (empty, short tail, the 4-lane loop, a seed), streaming in any split,
// and file hashing. The face cache's entry names depend on these values.
#include "base/hash.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "base/testing/test_paths.h"

namespace base {
namespace {

constexpr char kSpam[] = "Nobody inspects the spammish repetition";  // 39 bytes

// 1000 bytes (i * 7 + 3) mod 256: crosses many 32-byte stripes and leaves a tail.
std::string Pattern() {
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>(i * 7 + 3));
  return data;
}

TEST(Xxh64Test, MatchesTheReferenceImplementation) {
  EXPECT_EQ(Xxh64Bytes("", 0), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(Xxh64Bytes("a", 1), 0xD24EC4F1A98C6E5BULL);
  EXPECT_EQ(Xxh64Bytes("abc", 3), 0x44BC2CF5AD770999ULL);
  EXPECT_EQ(Xxh64Bytes(kSpam, 39), 0xFBCEA83C8A378BF1ULL);
  EXPECT_EQ(Xxh64Bytes(kSpam, 39, 20141025), 0xCE06936136852706ULL);
  const std::string data = Pattern();
  EXPECT_EQ(Xxh64Bytes(data.data(), data.size(), 42), 0xD776E8028586FF61ULL);
}

TEST(Xxh64Test, StreamingEqualsOneShotForAnySplit) {
  const std::string data = Pattern();
  const uint64_t whole = Xxh64Bytes(data.data(), data.size(), 42);
  for (size_t split : {0, 1, 31, 32, 33, 100, 999, 1000}) {
    Xxh64 hash(42);
    hash.Update(data.data(), split);
    hash.Update(data.data() + split, data.size() - split);
    EXPECT_EQ(hash.Digest(), whole) << split;
  }
  Xxh64 bytewise(42);
  for (char c : data) bytewise.Update(&c, 1);
  EXPECT_EQ(bytewise.Digest(), whole);
  EXPECT_NE(Xxh64Bytes(data.data(), data.size(), 0), whole);
}

TEST(Xxh64FileTest, HashesContentsAndNamesMissingFiles) {
  const std::string path = testing::TestTempPath("pattern.bin");
  const std::string data = Pattern();
  std::ofstream(path, std::ios::binary) << data;
  EXPECT_EQ(Xxh64File(path).value(), Xxh64Bytes(data.data(), data.size()));
  const absl::StatusOr<uint64_t> missing = Xxh64File("/no/such/file");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "/no/such/file: cannot open file");
}

}  // namespace
}  // namespace base
