// libFuzzer's entry point for an nn/io fuzz target (nn/io/fuzz/fuzz_target.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nn/io/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)nn::io::fuzz::FuzzOneInput(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
