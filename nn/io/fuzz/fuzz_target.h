// The contract between each nn/io fuzz target and its two drivers: libFuzzer
// (libfuzzer_entry.cc, clang only) and the corpus replay test (replay_main.cc, any
// compiler). A target defines FuzzOneInput: parse `bytes` as untrusted input and return
// the parser's status. Crashes, sanitizer reports, hangs and unbounded allocations are
// bugs; an error status is a normal outcome.
#ifndef NN_IO_FUZZ_FUZZ_TARGET_H_
#define NN_IO_FUZZ_FUZZ_TARGET_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace nn::io::fuzz {

absl::Status FuzzOneInput(std::string_view bytes);

// Writes `bytes` to this process's scratch file (under $TEST_TMPDIR, else /tmp) and
// returns its path, for parsers that read from a path. The file is reused by every call.
std::string WriteScratchFile(std::string_view bytes);

}  // namespace nn::io::fuzz

#endif  // NN_IO_FUZZ_FUZZ_TARGET_H_
