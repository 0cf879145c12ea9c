// Fuzz target for the ZIP reader (nn/io/zip_reader.h): the bytes are written to a file,
// opened as an archive, and every entry is looked up and, when small, read with its CRC
// checked. Driven by libFuzzer (//nn/io/fuzz:zip_reader_fuzzer) and by the corpus replay
// test (//nn/io/fuzz:zip_reader_fuzzer_replay_test); how to run it: nn/io/fuzz/README.md.
#include <cstdlib>
#include <string>
#include <string_view>

#include "nn/io/fuzz/fuzz_target.h"
#include "nn/io/zip_reader.h"

namespace nn::io::fuzz {

absl::Status FuzzOneInput(std::string_view bytes) {
  absl::StatusOr<ZipArchive> zip = ZipArchive::Open(WriteScratchFile(bytes));
  if (!zip.ok()) return zip.status();
  absl::Status result;
  for (const ZipEntry& entry : zip->entries()) {
    if (zip->Find(entry.name) == nullptr) std::abort();
    if (entry.data_offset > zip->file_size()) std::abort();  // Open checks every offset
    if (entry.size > (1 << 20)) {
      result.Update(zip->CheckStored(entry));
      continue;
    }
    absl::StatusOr<std::string> data = zip->ReadEntry(entry);
    if (data.ok() && data->size() != entry.size) std::abort();
    result.Update(data.status());
  }
  return result;
}

}  // namespace nn::io::fuzz
