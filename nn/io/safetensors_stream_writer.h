// Writes a safetensors file one tensor at a time, so a converter never needs all of a
// model's tensors in memory. Tensors are float32, or raw bytes of another dtype ("U8" for
// images). The header (names, shapes, offsets, metadata) is fixed up
// front; tensors are then appended in that order. Same format and atomicity as
// WriteSafetensors (nn/io/safetensors.h): bytes go to `path`.tmp, renamed over `path` by
// Finish(); a writer destroyed before Finish() removes the temporary file.
#ifndef NN_IO_SAFETENSORS_STREAM_WRITER_H_
#define NN_IO_SAFETENSORS_STREAM_WRITER_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nn/io/safetensors.h"
#include "nn/tensor.h"

namespace nn::io {

class SafetensorsStreamWriter {
 public:
  struct TensorSpec {
    std::string name;
    Shape shape;
    std::string dtype = "F32";  // "F32" or "U8"
  };

  // Opens `path`.tmp and writes the header for `tensors` (in this order).
  static absl::StatusOr<std::unique_ptr<SafetensorsStreamWriter>> CreateTyped(
      const std::string& path, const std::vector<TensorSpec>& tensors, const Metadata& metadata);
  // The same, all float32.
  static absl::StatusOr<std::unique_ptr<SafetensorsStreamWriter>> Create(
      const std::string& path, const std::vector<std::pair<std::string, Shape>>& tensors,
      const Metadata& metadata);
  ~SafetensorsStreamWriter();

  // Appends the next tensor; `name` and `numel` must be the next ones of the header.
  absl::Status Append(const std::string& name, const float* data, int64_t numel);
  // The same for a "U8" tensor.
  absl::Status AppendU8(const std::string& name, const uint8_t* data, int64_t numel);
  // After the last Append: flushes and renames the file into place.
  absl::Status Finish();

 private:
  SafetensorsStreamWriter() = default;

  std::string path_, temporary_;
  std::FILE* file_ = nullptr;
  absl::Status AppendBytes(const std::string& name, const std::string& dtype, const void* data,
                           int64_t numel, size_t element_bytes);

  std::vector<TensorSpec> tensors_;
  size_t next_ = 0;
};

}  // namespace nn::io

#endif  // NN_IO_SAFETENSORS_STREAM_WRITER_H_
