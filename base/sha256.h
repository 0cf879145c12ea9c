// SHA-256 (FIPS 180-4), one-shot and streaming, for identifying files people keep and
// compare: a model's checkpoint is reported by the SHA-256 of its bytes, the value
// `sha256sum` prints.
#ifndef BASE_SHA256_H_
#define BASE_SHA256_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace base {

// Streaming SHA-256: Update() any number of times, in pieces of any size; Digest() (once)
// gives the hash of the concatenation.
class Sha256 {
 public:
  Sha256();
  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  std::array<uint8_t, 32> Digest();

 private:
  void Compress(const uint8_t block[64]);

  uint32_t state_[8];
  uint64_t total_bytes_ = 0;
  uint8_t buffer_[64];
  size_t buffered_ = 0;
};

// Lower-case hex, 64 characters.
std::string Sha256Hex(std::string_view data);
std::string DigestToHex(const std::array<uint8_t, 32>& digest);

// Lower-case hex SHA-256 of the file's contents, read in 1 MiB blocks (what `sha256sum`
// prints). Errors name the file.
absl::StatusOr<std::string> Sha256FileHex(const std::string& path);

}  // namespace base

#endif  // BASE_SHA256_H_
