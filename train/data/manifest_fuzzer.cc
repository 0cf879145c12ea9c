// libFuzzer target for the dataset manifest parser (manifest.json is read from dataset
// folders users download or generate): arbitrary bytes go through ParseManifest; a parsed
// manifest must survive ManifestToJson -> ParseManifest unchanged. Any crash, sanitizer
// report, hang or round-trip mismatch is a bug.
//
// How it is run (clang 14 + libFuzzer, outside Bazel, as video/decoder_fuzzer.cc):
//   clang++-14 -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined
//     -fno-sanitize-recover=all -I. train/data/manifest_fuzzer.cc train/data/manifest.cc
//     base/atomic_file.cc $(pkg-config --cflags --libs absl_status absl_statusor
//     absl_strings) -o /tmp/manifest_fuzzer
//   mkdir /tmp/manifest_corpus && cp train/data/testdata/*.json /tmp/manifest_corpus
//   nice -n 19 /tmp/manifest_fuzzer -max_total_time=600 -rss_limit_mb=2048 -timeout=10
//     -max_len=65536 -dict=train/data/manifest_fuzzer.dict /tmp/manifest_corpus
//     train/data/testdata/manifest_fuzz
// The seeds, train/data/testdata/*.json, are manifests //tools:synth wrote from
// video/testdata; inputs that once failed go to train/data/testdata/manifest_fuzz/.
// //train/data:manifest_fuzzer_regression_test replays both in `bazel test //...`.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "train/data/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<train::data::Manifest> manifest = train::data::ParseManifest(text, "fuzz");
  if (!manifest.ok()) {
    if (manifest.status().message().substr(0, 6) != "fuzz: ") __builtin_trap();  // names it
    return 0;
  }
  const std::string written = train::data::ManifestToJson(*manifest).dump(2);
  absl::StatusOr<train::data::Manifest> again = train::data::ParseManifest(written, "again");
  if (!again.ok()) __builtin_trap();
  if (train::data::ManifestToJson(*again).dump(2) != written) __builtin_trap();
  return 0;
}
