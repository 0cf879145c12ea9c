// The fuzz targets' scratch file (nn/io/fuzz/fuzz_target.h).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "nn/io/fuzz/fuzz_target.h"

namespace nn::io::fuzz {

std::string WriteScratchFile(std::string_view bytes) {
  static const std::string path = [] {
    const char* dir = std::getenv("TEST_TMPDIR");
    return std::string(dir != nullptr ? dir : "/tmp") + "/nn_io_fuzz_" + std::to_string(getpid());
  }();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();  // the harness, not the parser, is broken
  if (std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) std::abort();
  std::fclose(f);
  return path;
}

}  // namespace nn::io::fuzz
