// safetensors reader and writer (format: nn/io/safetensors.h).
#include "nn/io/safetensors.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "nn/io/dtypes.h"
#include "nn/io/little_endian.h"

namespace nn::io {
namespace {

// Larger headers are refused (the reference implementation's limit is 100 MB too).
constexpr uint64_t kMaxHeaderBytes = 100u << 20;
constexpr uint64_t kMaxElements = uint64_t{1} << 60;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

absl::Status Error(const std::string& path, const std::string& problem) {
  return absl::DataLossError(absl::StrCat(path, ": not a valid safetensors file: ", problem));
}

// Converts `count` elements of `dtype` in `raw` to float32 in `out`.
absl::Status ConvertToFloat(const std::string& path, const std::string& name,
                            const std::string& dtype, const char* raw, int64_t count, float* out) {
  const StoredDTypeInfo* info = FindStoredDType(dtype);
  if (info == nullptr) return Error(path, absl::StrCat(name, ": cannot convert dtype ", dtype));
  int64_t inexact = 0;
  if (!ConvertToFloat32(info->type, raw, count, out, &inexact)) {
    return Error(path, absl::StrCat(name, ": integer ", inexact, " is not exact in float32"));
  }
  return absl::OkStatus();
}

uint64_t FileSize(std::FILE* f) {
  std::fseek(f, 0, SEEK_END);
  const long size = std::ftell(f);
  std::fseek(f, 0, SEEK_SET);
  return size < 0 ? 0 : static_cast<uint64_t>(size);
}

absl::StatusOr<SafetensorsHeader> ParseHeader(const std::string& path, std::FILE* f) {
  const uint64_t file_size = FileSize(f);
  if (file_size < 8) {
    return Error(
        path, absl::StrCat("file is ", file_size, " bytes, shorter than the 8-byte header length"));
  }
  unsigned char length_bytes[8];
  if (std::fread(length_bytes, 1, 8, f) != 8) return Error(path, "cannot read header length");
  const uint64_t header_length = LoadLittleEndian(length_bytes, 8);
  if (header_length > kMaxHeaderBytes || header_length > file_size - 8) {
    return Error(path, absl::StrCat("header length ", header_length, " exceeds the file (",
                                    file_size, " bytes): truncated or not safetensors"));
  }
  std::string text(header_length, '\0');
  if (std::fread(text.data(), 1, header_length, f) != header_length) {
    return Error(path, "cannot read header");
  }
  const nlohmann::json header = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) {
    return Error(path, "header is not a JSON object");
  }

  SafetensorsHeader result;
  result.data_offset = 8 + header_length;
  const uint64_t data_size = file_size - result.data_offset;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      if (!info.is_object()) return Error(path, "__metadata__ is not an object");
      for (const auto& [key, value] : info.items()) {
        if (!value.is_string()) return Error(path, "__metadata__." + key + " is not a string");
        result.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor '" + name + "'";
    if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") ||
        !info.contains("data_offsets") || !info["dtype"].is_string() || !info["shape"].is_array() ||
        !info["data_offsets"].is_array() || info["data_offsets"].size() != 2) {
      return Error(path, where + " needs dtype, shape and data_offsets [begin, end]");
    }
    SafetensorsEntry entry;
    entry.dtype = info["dtype"].get<std::string>();
    const int element_bytes = SafetensorsDTypeBytes(entry.dtype);
    if (element_bytes == 0) return Error(path, where + " has unsupported dtype " + entry.dtype);
    uint64_t numel = 1;
    for (const auto& d : info["shape"]) {
      if (!d.is_number_unsigned()) return Error(path, where + " has a bad shape");
      // At most 2^60 elements: numel x 8 bytes cannot wrap around, nor a dimension turn
      // negative as an int64.
      const uint64_t dim = d.get<uint64_t>();
      if (dim > kMaxElements || (dim != 0 && numel > kMaxElements / dim)) {
        return Error(path, where + " shape overflows");
      }
      numel *= dim;
      entry.shape.push_back(static_cast<int64_t>(dim));
    }
    if (entry.shape.size() > static_cast<size_t>(Shape::kMaxRank)) {
      return Error(path, where + " has more than 8 dimensions");
    }
    const auto& offsets = info["data_offsets"];
    if (!offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned()) {
      return Error(path, where + " has bad data_offsets");
    }
    entry.begin = offsets[0].get<uint64_t>();
    entry.end = offsets[1].get<uint64_t>();
    if (entry.begin > entry.end || entry.end > data_size) {
      return Error(
          path, absl::StrCat(where, " bytes [", entry.begin, ", ", entry.end, ") lie outside the ",
                             data_size, "-byte data section: file truncated?"));
    }
    if (entry.end - entry.begin != numel * element_bytes) {
      return Error(
          path, absl::StrCat(where, " holds ", entry.end - entry.begin, " bytes but ", entry.dtype,
                             " x ", numel, " elements needs ", numel * element_bytes));
    }
    ranges.emplace_back(entry.begin, entry.end);
    result.entries[name] = std::move(entry);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) return Error(path, "tensors overlap");
  }
  return result;
}

absl::StatusOr<File> Open(const std::string& path, const char* mode) {
  File f(std::fopen(path.c_str(), mode));
  if (!f) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot open: ", std::generic_category().message(errno)));
  }
  return f;
}

}  // namespace

int SafetensorsDTypeBytes(const std::string& dtype) {
  const StoredDTypeInfo* info = FindStoredDType(dtype);
  return info == nullptr ? 0 : info->bytes;
}

absl::StatusOr<SafetensorsHeader> ReadSafetensorsHeader(const std::string& path) {
  ASSIGN_OR_RETURN(File f, Open(path, "rb"));
  return ParseHeader(path, f.get());
}

absl::StatusOr<TensorMap> ReadSafetensors(const std::string& path) {
  return ReadSafetensors(path, nullptr);
}

absl::StatusOr<TensorMap> ReadSafetensors(const std::string& path, Metadata* metadata) {
  ASSIGN_OR_RETURN(File f, Open(path, "rb"));
  ASSIGN_OR_RETURN(SafetensorsHeader header, ParseHeader(path, f.get()));

  TensorMap tensors;
  std::vector<char> scratch;
  for (const auto& [name, entry] : header.entries) {
    Tensor t = Tensor::Empty(Shape(entry.shape));
    const uint64_t bytes = entry.end - entry.begin;
    char* destination = static_cast<char*>(t.raw_data());
    if (entry.dtype != "F32") {
      scratch.resize(bytes);
      destination = scratch.data();
    }
    if (std::fseek(f.get(), static_cast<long>(header.data_offset + entry.begin), SEEK_SET) != 0 ||
        std::fread(destination, 1, bytes, f.get()) != bytes) {
      return Error(path, "cannot read tensor '" + name + "'");
    }
    if (entry.dtype != "F32") {
      RETURN_IF_ERROR(
          ConvertToFloat(path, name, entry.dtype, scratch.data(), t.numel(), t.data<float>()));
    }
    tensors.emplace(name, std::move(t));
  }
  if (metadata != nullptr) *metadata = header.metadata;
  return tensors;
}

absl::Status WriteSafetensors(const std::string& path, const TensorMap& tensors,
                              const Metadata& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    NN_CHECK(tensor.defined() && tensor.device().is_cpu())
        << "WriteSafetensors: " << name << " is " << tensor;
    const char* dtype = StoredDTypeName(tensor.dtype());
    header[name] = {{"dtype", dtype},
                    {"shape", tensor.shape().ToVector()},
                    {"data_offsets", {offset, offset + tensor.bytes()}}};
    offset += tensor.bytes();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // align the data section to 8 bytes

  const std::string temporary = path + ".tmp";
  {
    ASSIGN_OR_RETURN(File f, Open(temporary, "wb"));
    unsigned char length_bytes[8];
    StoreLittleEndian64(text.size(), length_bytes);
    bool ok = std::fwrite(length_bytes, 1, 8, f.get()) == 8 &&
              std::fwrite(text.data(), 1, text.size(), f.get()) == text.size();
    for (const auto& [name, tensor] : tensors) {
      ok = ok && std::fwrite(tensor.raw_data(), 1, tensor.bytes(), f.get()) == tensor.bytes();
    }
    ok = ok && std::fflush(f.get()) == 0;
    if (!ok) {
      std::remove(temporary.c_str());
      return absl::InternalError(
          absl::StrCat(temporary, ": write failed: ", std::generic_category().message(errno)));
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    return absl::InternalError(
        absl::StrCat(path, ": cannot replace: ", std::generic_category().message(errno)));
  }
  return absl::OkStatus();
}

}  // namespace nn::io
