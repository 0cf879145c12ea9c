// libFuzzer target for the decoder entry point: arbitrary bytes go through
// Decoder::OpenMemory (a custom AVIOContext), then up to 64 frames are decoded and one seek
// is tried. Any crash, sanitizer report, hang or unbounded allocation is a bug.
//
// How it was run (clang 14 + libFuzzer, outside Bazel so the shared Bazel server keeps its
// gcc toolchain):
//   clang++-14 -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -I.
//     video/decoder_fuzzer.cc video/decoder.cc video/decoder_rgb.cc video/avio_memory.cc
//     nn/check.cc $(pkg-config --cflags --libs libavdevice libavformat libavcodec
//     libswscale libavutil absl_status absl_statusor absl_strings absl_str_format)
//     -o /tmp/decoder_fuzzer
//   /tmp/decoder_fuzzer -max_total_time=300 -rss_limit_mb=2048 -timeout=10
//     -max_len=200000 /tmp/fuzz_corpus video/testdata/fuzz
// with /tmp/fuzz_corpus seeded by //video:decoder_fuzzer_seeds (small clips in every
// container). With clang as Bazel's compiler (`CC=clang-14 bazel --output_base=... build
// --config=asan //video:decoder_fuzzer`) the "manual" Bazel target builds the same binary.
// Inputs that once failed live in video/testdata/fuzz/ and are replayed by
// //video:decoder_fuzzer_regression_test under gcc.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "video/decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  video::OpenOptions options;
  options.max_width = 2048;  // keeps each frame's memory small under the fuzzer's RSS limit
  options.max_height = 2048;
  options.decoder_threads = 1;
  auto decoder = video::Decoder::OpenMemory(
      "fuzz", std::string_view(reinterpret_cast<const char*>(data), size), options);
  if (!decoder.ok()) return 0;
  for (int i = 0; i < 64; ++i) {
    auto frame = (*decoder)->Next();
    if (!frame.ok() || !frame->has_value()) break;
    const video::Frame& f = **frame;
    if (f.rgb.size() != static_cast<size_t>(f.width) * f.height * 3) __builtin_trap();
  }
  auto frame = (*decoder)->DecodeAt(0.5);
  (void)frame;
  return 0;
}
