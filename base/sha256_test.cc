// SHA-256 against FIPS 180-2's examples and hashlib/sha256sum values: every padding length
// around the block boundary, streaming in odd pieces, files.
#include "base/sha256.h"

#include <fstream>
#include <string>

#include "base/testing/test_paths.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace base {
namespace {

TEST(Sha256Test, FipsExamples) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, LengthsAroundTheBlockBoundary) {
  // python3 -c "import hashlib; print(hashlib.sha256(b'q' * n).hexdigest())"
  const std::pair<int, const char*> cases[] = {
      {55, "85528b5baff5639cb8e7daca79d085ac29ac0978e873ed7527158616b2b6c379"},
      {56, "f8ce2f8d6990c639668fe404262f35ed72d8bb145ad6bae786af7284447386df"},
      {63, "9b49777003a4143d8c3f4d3002eb631c6bda8b030a3ccc87f8a21d5f61c89e87"},
      {64, "ee8e658590c9a5e119400a774415a01db104de1ee6e2c29ec69aa73ef46544d2"},
      {65, "2b6c3f7f12b1b12fc5409626dc4e5302d8d37082cbeddea7755eac43aba039c8"},
      {119, "c8bc8a6e9626586bb888ad131d44ed2bd37fc608e902904ade3c566c4208e6ca"},
      {120, "77a2d49d72a11e41678c51f8f0cb67f5cb570f30370c3aeffe266a0d1ee43209"},
  };
  for (const auto& [length, hex] : cases) {
    EXPECT_EQ(Sha256Hex(std::string(length, 'q')), hex) << length << " bytes";
  }
}

TEST(Sha256Test, StreamingInOddPiecesEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 3; ++i) {
    for (int b = 0; b < 256; ++b) data.push_back(static_cast<char>(b));
  }
  data += "xyz";
  // hashlib.sha256(bytes(range(256)) * 3 + b'xyz')
  const char kExpected[] = "c88b6dc887c181168f0090f9b194fa95a4941342d49ba8bec914fd7ce64881a7";
  EXPECT_EQ(Sha256Hex(data), kExpected);
  for (size_t piece : {1, 7, 63, 64, 65, 200}) {
    Sha256 hash;
    for (size_t i = 0; i < data.size(); i += piece) {
      hash.Update(std::string_view(data).substr(i, piece));
    }
    EXPECT_EQ(DigestToHex(hash.Digest()), kExpected) << "pieces of " << piece;
  }
}

TEST(Sha256Test, MillionAs) {
  Sha256 hash;
  const std::string thousand(1000, 'a');
  for (int i = 0; i < 1000; ++i) hash.Update(thousand);
  EXPECT_EQ(DigestToHex(hash.Digest()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, FileEqualsSha256sum) {
  const std::string path = testing::TestTempPath("million_a");
  {
    std::ofstream file(path, std::ios::binary);
    file << std::string(1000000, 'a');
  }
  EXPECT_EQ(*Sha256FileHex(path),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // Longer than two 1 MiB read blocks; python3 -c "print('a'*2100000,end='')" | sha256sum
  {
    std::ofstream file(path, std::ios::binary);
    file << std::string(2100000, 'a');
  }
  EXPECT_EQ(*Sha256FileHex(path),
            "92f6936afe5b1475de18eb21f109673af988be962db8a30694a895da5fabc307");
}

TEST(Sha256Test, MissingFileIsNamed) {
  const absl::StatusOr<std::string> hex = Sha256FileHex("/nonexistent/model.safetensors");
  EXPECT_EQ(hex.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(hex.status().message(), "/nonexistent/model.safetensors: cannot open file");
}

}  // namespace
}  // namespace base
