// Reading and writing safetensors files: the native checkpoint format and the format of
// the PyTorch parity fixtures. Layout: an 8-byte little-endian header length N, N bytes
// of JSON {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__":
// {string: string}}, then the tensor bytes. Nothing in the file is executed.
//
// Every structural problem — truncation, a header that is not JSON, offsets outside the
// data, a byte count that disagrees with dtype x shape, overlapping tensors — is an
// absl::Status that names the file and the tensor. Tensors are read straight into their
// own storage (no second copy of the file in memory).
#ifndef NN_IO_SAFETENSORS_H_
#define NN_IO_SAFETENSORS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nn/tensor.h"

namespace nn::io {

using TensorMap = std::map<std::string, Tensor>;
using Metadata = std::map<std::string, std::string>;

// What the header says about one tensor, before any data is read.
struct SafetensorsEntry {
  std::string dtype;  // "F32", "F16", "BF16", "F64", "I64", "I32", "U8", "BOOL"
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte offsets into the data section
  uint64_t end = 0;
};

// Bytes per element of a safetensors dtype ("F32" -> 4, "U8" -> 1, ...); 0 for one this
// reader does not know.
int SafetensorsDTypeBytes(const std::string& dtype);

struct SafetensorsHeader {
  std::map<std::string, SafetensorsEntry> entries;
  Metadata metadata;
  uint64_t data_offset = 0;  // file offset of the data section
};

// Parses and validates the header (and the file's size against it).
absl::StatusOr<SafetensorsHeader> ReadSafetensorsHeader(const std::string& path);

// Reads every tensor as float32 on the CPU: F32 as is; F16, BF16, F64, I64, I32, U8 and
// BOOL converted (integers must be exactly representable: |v| <= 2^24).
absl::StatusOr<TensorMap> ReadSafetensors(const std::string& path);
absl::StatusOr<TensorMap> ReadSafetensors(const std::string& path, Metadata* metadata);

// Writes float32/float16/bfloat16 CPU tensors in name order. Atomic: the data goes to
// `path` + ".tmp" first and is renamed over `path` only when complete, so a failed write
// never destroys an existing file.
absl::Status WriteSafetensors(const std::string& path, const TensorMap& tensors,
                              const Metadata& metadata = {});

}  // namespace nn::io

#endif  // NN_IO_SAFETENSORS_H_
