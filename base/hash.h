// XXH64 (xxHash's 64-bit hash, https://github.com/Cyan4973/xxHash), one-shot and streaming,
// for content keys: the face cache names entries by the XXH64 of a video's bytes and of its
// parameter key, so the values here are part of on-disk formats and must never change.
#ifndef BASE_HASH_H_
#define BASE_HASH_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace base {

// Streaming XXH64: Update() any number of times, in pieces of any size; Digest() equals
// Xxh64Bytes() of the concatenation.
class Xxh64 {
 public:
  explicit Xxh64(uint64_t seed = 0);
  void Update(const void* data, size_t size);
  uint64_t Digest() const;

 private:
  uint64_t v_[4];
  uint64_t seed_;
  uint64_t total_ = 0;
  unsigned char buffer_[32];
  size_t buffered_ = 0;
};

uint64_t Xxh64Bytes(const void* data, size_t size, uint64_t seed = 0);

// XXH64 (seed 0) of the file's contents, read in 1 MiB blocks. Errors name the file.
absl::StatusOr<uint64_t> Xxh64File(const std::string& path);

}  // namespace base

#endif  // BASE_HASH_H_
