// Fuzz target for the safetensors reader (nn/io/safetensors.h): the bytes are written to a
// file whose header is parsed and whose tensors are all read (converted to float32). Driven
// by libFuzzer and by the corpus replay test; how to run it: nn/io/fuzz/README.md.
#include <cstdlib>
#include <string_view>

#include "nn/io/fuzz/fuzz_target.h"
#include "nn/io/safetensors.h"

namespace nn::io::fuzz {

absl::Status FuzzOneInput(std::string_view bytes) {
  const std::string path = WriteScratchFile(bytes);
  absl::StatusOr<SafetensorsHeader> header = ReadSafetensorsHeader(path);
  if (!header.ok()) return header.status();
  Metadata metadata;
  absl::StatusOr<TensorMap> tensors = ReadSafetensors(path, &metadata);
  if (!tensors.ok()) return tensors.status();
  // The header was accepted once, so it must describe exactly what was read.
  if (tensors->size() != header->entries.size() || metadata != header->metadata) std::abort();
  for (const auto& [name, tensor] : *tensors) {
    auto entry = header->entries.find(name);
    if (entry == header->entries.end() || tensor.shape().ToVector() != entry->second.shape) {
      std::abort();
    }
  }
  return absl::OkStatus();
}

}  // namespace nn::io::fuzz
