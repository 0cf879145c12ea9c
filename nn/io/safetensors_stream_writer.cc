// Streaming safetensors writer.
#include "nn/io/safetensors_stream_writer.h"

#include <cerrno>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "nn/io/little_endian.h"

namespace nn::io {

absl::StatusOr<std::unique_ptr<SafetensorsStreamWriter>> SafetensorsStreamWriter::Create(
    const std::string& path, const std::vector<std::pair<std::string, Shape>>& tensors,
    const Metadata& metadata) {
  std::vector<TensorSpec> specs;
  for (const auto& [name, shape] : tensors) specs.push_back({name, shape, "F32"});
  return CreateTyped(path, specs, metadata);
}

absl::StatusOr<std::unique_ptr<SafetensorsStreamWriter>> SafetensorsStreamWriter::CreateTyped(
    const std::string& path, const std::vector<TensorSpec>& tensors, const Metadata& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const TensorSpec& t : tensors) {
    NN_CHECK(!header.contains(t.name) && t.name != "__metadata__")
        << "SafetensorsStreamWriter: duplicate tensor name " << t.name;
    NN_CHECK(t.dtype == "F32" || t.dtype == "U8") << "SafetensorsStreamWriter: dtype " << t.dtype;
    const uint64_t bytes = static_cast<uint64_t>(t.shape.numel()) * SafetensorsDTypeBytes(t.dtype);
    header[t.name] = {{"dtype", t.dtype},
                      {"shape", t.shape.ToVector()},
                      {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // align the data section to 8 bytes

  std::unique_ptr<SafetensorsStreamWriter> writer(new SafetensorsStreamWriter());
  writer->path_ = path;
  writer->temporary_ = path + ".tmp";
  writer->tensors_ = tensors;
  writer->file_ = std::fopen(writer->temporary_.c_str(), "wb");
  if (writer->file_ == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(
        writer->temporary_, ": cannot create: ", std::generic_category().message(errno)));
  }
  unsigned char length_bytes[8];
  StoreLittleEndian64(text.size(), length_bytes);
  if (std::fwrite(length_bytes, 1, 8, writer->file_) != 8 ||
      std::fwrite(text.data(), 1, text.size(), writer->file_) != text.size()) {
    return absl::InternalError(absl::StrCat(
        writer->temporary_, ": write failed: ", std::generic_category().message(errno)));
  }
  return writer;
}

SafetensorsStreamWriter::~SafetensorsStreamWriter() {
  if (file_ != nullptr) {
    std::fclose(file_);
    std::remove(temporary_.c_str());
  }
}

absl::Status SafetensorsStreamWriter::Append(const std::string& name, const float* data,
                                             int64_t numel) {
  return AppendBytes(name, "F32", data, numel, sizeof(float));
}

absl::Status SafetensorsStreamWriter::AppendU8(const std::string& name, const uint8_t* data,
                                               int64_t numel) {
  return AppendBytes(name, "U8", data, numel, 1);
}

absl::Status SafetensorsStreamWriter::AppendBytes(const std::string& name, const std::string& dtype,
                                                  const void* data, int64_t numel,
                                                  size_t element_bytes) {
  NN_CHECK(file_ != nullptr && next_ < tensors_.size()) << "Append after the last tensor";
  const TensorSpec& next = tensors_[next_];
  NN_CHECK(next.name == name && next.shape.numel() == numel && next.dtype == dtype)
      << "Append(" << name << ", " << numel << " " << dtype << ") but the header's next tensor is "
      << next.name << " " << next.shape << " " << next.dtype;
  ++next_;
  const size_t bytes = static_cast<size_t>(numel) * element_bytes;
  if (bytes > 0 && std::fwrite(data, 1, bytes, file_) != bytes) {
    return absl::InternalError(
        absl::StrCat(temporary_, ": write failed: ", std::generic_category().message(errno)));
  }
  return absl::OkStatus();
}

absl::Status SafetensorsStreamWriter::Finish() {
  NN_CHECK(file_ != nullptr && next_ == tensors_.size())
      << "Finish after " << next_ << " of " << tensors_.size() << " tensors";
  const bool flushed = std::fflush(file_) == 0;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!flushed || !closed) {
    std::remove(temporary_.c_str());
    return absl::InternalError(
        absl::StrCat(temporary_, ": write failed: ", std::generic_category().message(errno)));
  }
  if (std::rename(temporary_.c_str(), path_.c_str()) != 0) {
    std::remove(temporary_.c_str());
    return absl::InternalError(
        absl::StrCat(path_, ": cannot replace: ", std::generic_category().message(errno)));
  }
  return absl::OkStatus();
}

}  // namespace nn::io
