// Reading weights from PyTorch files without PyTorch: .pt/.pth written by torch.save (the
// zip format of PyTorch >= 1.6 and the legacy pickle-stream format before it) and
// .safetensors. The pickles go through the restricted unpickler (nn/io/pickle.h), so a
// file that holds code is refused, never run.
//
// Opening a file parses its structure only: the state_dict is found inside wrappers such as
// {"state_dict": ...} or {"model": ...}, DataParallel's "module." prefix is removed, and
// every tensor's extent is checked against its storage. Tensor data is read later, one
// tensor at a time, straight from the file into the caller's buffer (converted to float32),
// so converting a large checkpoint never holds the file in memory.
#ifndef NN_IO_PYTORCH_CHECKPOINT_H_
#define NN_IO_PYTORCH_CHECKPOINT_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nn/io/safetensors.h"
#include "nn/tensor.h"

namespace nn::io {

enum class WeightsFileFormat { kPyTorchZip, kPyTorchLegacy, kSafetensors };
const char* WeightsFileFormatName(WeightsFileFormat format);  // "PyTorch zip (torch.save)"

// One tensor of the state_dict and where its elements lie in the file.
struct StoredTensor {
  std::string name;   // after unwrapping and prefix removal
  std::string dtype;  // "F32", "F16", "BF16", "F64", "I64" (safetensors also "I32")
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;  // elements
  int64_t storage_offset = 0;    // elements
  uint64_t data_offset = 0;      // file offset of storage element 0
  int64_t storage_numel = 0;     // elements in the storage

  int64_t numel() const;
  std::string ShapeString() const;  // "[64, 3, 7, 7]"
};

class WeightsFile {
 public:
  // Parses `path` (format detected from its first bytes). Errors name the file and say what
  // is wrong: not a checkpoint, truncated, refused code, a tensor outside its storage, ...
  static absl::StatusOr<WeightsFile> Open(const std::string& path);

  const std::string& path() const { return path_; }
  WeightsFileFormat format() const { return format_; }
  // In the file's order (a pickle's insertion order; a safetensors file's name order).
  const std::vector<StoredTensor>& tensors() const { return tensors_; }
  const StoredTensor* Find(const std::string& name) const;
  // What unwrapping did and what was skipped, one line each ("using the 'state_dict' entry
  // (also present: epoch, optimizer)", "removed the DataParallel prefix 'module.'").
  const std::vector<std::string>& notes() const { return notes_; }

  // Reads `tensor` as numel() float32 values into `out`. Integer tensors must be exact in
  // float32 (|v| <= 2^24).
  absl::Status ReadFloat32(const StoredTensor& tensor, float* out) const;
  absl::StatusOr<Tensor> ReadFloat32(const StoredTensor& tensor) const;

 private:
  std::string path_;
  WeightsFileFormat format_ = WeightsFileFormat::kPyTorchZip;
  std::vector<StoredTensor> tensors_;
  std::vector<std::string> notes_;
  std::shared_ptr<std::FILE> file_;
};

// Every tensor of `path`'s state_dict as float32 on the CPU, under its unwrapped name.
absl::StatusOr<TensorMap> ReadPyTorchStateDict(const std::string& path);

}  // namespace nn::io

#endif  // NN_IO_PYTORCH_CHECKPOINT_H_
