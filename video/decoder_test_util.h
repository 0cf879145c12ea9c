// Shared helpers for the decoder and sampling tests: temporary paths and decoding a whole
// file into frames.
#ifndef VIDEO_DECODER_TEST_UTIL_H_
#define VIDEO_DECODER_TEST_UTIL_H_

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/testing/test_paths.h"
#include "gtest/gtest.h"
#include "video/decoder.h"

namespace video {

using ::base::testing::TestTempPath;

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Decodes every frame; fails the test on an error.
inline std::vector<Frame> DecodeAll(Decoder& decoder) {
  std::vector<Frame> frames;
  for (int guard = 0; guard < 100000; ++guard) {
    auto next = decoder.Next();
    EXPECT_TRUE(next.ok()) << next.status();
    if (!next.ok() || !next->has_value()) break;
    frames.push_back(std::move(**next));
  }
  return frames;
}

}  // namespace video

#endif  // VIDEO_DECODER_TEST_UTIL_H_
