// Fuzz target for the PyTorch checkpoint front door (nn/io/pytorch_checkpoint.h): the bytes
// are written to a file, opened with WeightsFile::Open (format sniffing, then the ZIP,
// legacy-pickle or safetensors path) and every tensor is read as float32. Driven by
// libFuzzer and by the corpus replay test; how to run it: nn/io/fuzz/README.md.
#include <cstdlib>
#include <string_view>

#include "nn/io/fuzz/fuzz_target.h"
#include "nn/io/pytorch_checkpoint.h"

namespace nn::io::fuzz {

absl::Status FuzzOneInput(std::string_view bytes) {
  absl::StatusOr<WeightsFile> file = WeightsFile::Open(WriteScratchFile(bytes));
  if (!file.ok()) return file.status();
  absl::Status result;
  for (const StoredTensor& t : file->tensors()) {
    if (file->Find(t.name) == nullptr) std::abort();
    absl::StatusOr<Tensor> tensor = file->ReadFloat32(t);
    if (tensor.ok() && tensor->shape().ToVector() != t.shape) std::abort();
    result.Update(tensor.status());
  }
  return result;
}

}  // namespace nn::io::fuzz
