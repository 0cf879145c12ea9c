// Native checkpoints: state_dict + metadata in safetensors, strict loading.
#include "nn/io/checkpoint.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <set>
#include <system_error>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "nn/io/dtypes.h"

namespace nn::io {
namespace {

constexpr char kFormat[] = "deepfake-checkpoint";
constexpr char kFormatVersion[] = "1";
const char* const kReservedKeys[] = {"format",        "format_version", "preset",
                                     "input_size",    "mean",           "std",
                                     "channel_order", "label_order",    "step"};

bool IsReserved(const std::string& key) {
  for (const char* reserved : kReservedKeys) {
    if (key == reserved) return true;
  }
  return false;
}

std::string ShapeString(const std::vector<int64_t>& dims) {
  return absl::StrCat("[", absl::StrJoin(dims, ", "), "]");
}

std::string FloatList(const std::array<float, 3>& values) {
  return absl::StrJoin(values, ",", [](std::string* out, float v) {
    absl::StrAppend(out, absl::StrFormat("%.9g", v));  // round-trips a float exactly
  });
}

absl::Status BadMetadata(const std::string& path, const std::string& key, const std::string& value,
                         const std::string& expected) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": metadata '", key, "' = '", value, "' is not ", expected));
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

absl::StatusOr<std::vector<Tensor>> ReadModuleStateWithHeader(const std::string& path,
                                                              const SafetensorsHeader& header,
                                                              const std::string& prefix,
                                                              Module* model) {
  NN_CHECK(model != nullptr) << "ReadModuleState: null model";
  const std::vector<std::pair<std::string, Tensor*>> state = model->NamedState();
  std::set<std::string> expected;
  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& [name, tensor] : state) {
    const std::string key = prefix + name;
    expected.insert(key);
    auto it = header.entries.find(key);
    if (it == header.entries.end()) {
      missing.push_back(key);
      continue;
    }
    const SafetensorsEntry& entry = it->second;
    const char* dtype = StoredDTypeName(tensor->dtype());
    const bool widened = entry.dtype == "F16" && tensor->dtype() == DType::kFloat32;
    if ((entry.dtype != dtype && !widened) || entry.shape != tensor->shape().ToVector()) {
      mismatched.push_back(absl::StrCat(key, ": expected ", dtype, " ", tensor->shape().ToString(),
                                        " vs found ", entry.dtype, " ", ShapeString(entry.shape)));
    }
  }
  for (const auto& [key, entry] : header.entries) {
    if (key.compare(0, prefix.size(), prefix) == 0 && expected.count(key) == 0) {
      unexpected.push_back(key);
    }
  }
  if (!missing.empty() || !unexpected.empty() || !mismatched.empty()) {
    std::vector<std::string> parts;
    auto add = [&](const char* what, const std::vector<std::string>& names) {
      if (!names.empty()) {
        parts.push_back(
            absl::StrCat(what, " ", names.size(), " (", absl::StrJoin(names, ", "), ")"));
      }
    };
    add("missing", missing);
    add("unexpected", unexpected);
    add("mismatched", mismatched);
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": does not match the model: ", absl::StrJoin(parts, "; ")));
  }

  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot open: ", std::generic_category().message(errno)));
  }
  std::vector<Tensor> out;
  out.reserve(state.size());
  for (const auto& [name, tensor] : state) {
    const SafetensorsEntry& entry = header.entries.at(prefix + name);
    Tensor t = Tensor::Empty(tensor->shape(), tensor->dtype(), Device::CPU());  // host copy
    const uint64_t bytes = entry.end - entry.begin;
    const bool widened = entry.dtype == "F16" && tensor->dtype() == DType::kFloat32;
    std::vector<uint16_t> halves(widened ? bytes / 2 : 0);
    void* target = widened ? static_cast<void*>(halves.data()) : t.raw_data();
    if (bytes > 0 &&
        (std::fseek(f.get(), static_cast<long>(header.data_offset + entry.begin), SEEK_SET) != 0 ||
         std::fread(target, 1, bytes, f.get()) != bytes)) {
      return absl::DataLossError(
          absl::StrCat(path, ": cannot read tensor '", prefix, name, "': file truncated?"));
    }
    if (widened) {  // float16 storage of a float32 tensor: widened exactly
      float* values = static_cast<float*>(t.raw_data());
      for (size_t i = 0; i < halves.size(); ++i) values[i] = HalfToFloat(halves[i]);
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

Metadata EncodeCheckpointMetadata(const CheckpointMetadata& metadata) {
  Metadata out = {{"format", kFormat},
                  {"format_version", kFormatVersion},
                  {"preset", metadata.preset},
                  {"input_size", absl::StrCat(metadata.input_size)},
                  {"mean", FloatList(metadata.mean)},
                  {"std", FloatList(metadata.std_dev)},
                  {"channel_order", metadata.channel_order},
                  {"label_order", metadata.label_order},
                  {"step", absl::StrCat(metadata.step)}};
  for (const auto& [key, value] : metadata.extras) {
    NN_CHECK(!IsReserved(key)) << "checkpoint extra '" << key << "' is a reserved key";
    out[key] = value;
  }
  return out;
}

absl::Status DecodeCheckpointMetadata(const std::string& path, const Metadata& metadata,
                                      CheckpointMetadata* out) {
  CheckpointMetadata result;
  for (const auto& [key, value] : metadata) {
    if (key == "format") {
      if (value != kFormat) return BadMetadata(path, key, value, absl::StrCat("'", kFormat, "'"));
    } else if (key == "format_version") {
      if (value != kFormatVersion) {
        return BadMetadata(
            path, key, value,
            absl::StrCat("version ", kFormatVersion, " (written by a newer version?)"));
      }
    } else if (key == "preset") {
      result.preset = value;
    } else if (key == "input_size") {
      if (!absl::SimpleAtoi(value, &result.input_size) || result.input_size <= 0) {
        return BadMetadata(path, key, value, "a positive integer");
      }
    } else if (key == "mean" || key == "std") {
      std::array<float, 3>& target = key == "mean" ? result.mean : result.std_dev;
      const std::vector<std::string> items = absl::StrSplit(value, ',');
      bool ok = items.size() == 3;
      for (size_t i = 0; ok && i < 3; ++i) ok = absl::SimpleAtof(items[i], &target[i]);
      if (!ok) return BadMetadata(path, key, value, "3 comma-separated numbers");
    } else if (key == "channel_order") {
      if (value != "RGB" && value != "BGR") return BadMetadata(path, key, value, "RGB or BGR");
      result.channel_order = value;
    } else if (key == "label_order") {
      if (value.empty()) return BadMetadata(path, key, value, "a list of class names");
      result.label_order = value;
    } else if (key == "step") {
      if (!absl::SimpleAtoi(value, &result.step) || result.step < 0) {
        return BadMetadata(path, key, value, "a non-negative integer");
      }
    } else {
      result.extras[key] = value;
    }
  }
  *out = std::move(result);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Tensor>> ReadModuleState(const std::string& path,
                                                    const std::string& prefix, Module* model) {
  ASSIGN_OR_RETURN(SafetensorsHeader header, ReadSafetensorsHeader(path));
  return ReadModuleStateWithHeader(path, header, prefix, model);
}

void AssignModuleState(const std::vector<Tensor>& state, Module* model) {
  const std::vector<std::pair<std::string, Tensor*>> named = model->NamedState();
  NN_CHECK_EQ(named.size(), state.size()) << "AssignModuleState: state from another model";
  for (size_t i = 0; i < named.size(); ++i) named[i].second->CopyFrom(state[i]);
}

absl::Status SaveCheckpoint(const std::string& path, Module& model,
                            const CheckpointMetadata& metadata) {
  for (const auto& [key, value] : metadata.extras) {
    if (IsReserved(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": extra metadata key '", key, "' is reserved"));
    }
  }
  TensorMap tensors;
  for (const auto& [name, tensor] : model.NamedState()) {
    tensors[name] = tensor->device().is_cpu() ? *tensor : tensor->To(Device::CPU());
  }
  return WriteSafetensors(path, tensors, EncodeCheckpointMetadata(metadata));
}

absl::Status LoadCheckpoint(const std::string& path, Module* model, CheckpointMetadata* metadata) {
  ASSIGN_OR_RETURN(SafetensorsHeader header, ReadSafetensorsHeader(path));
  CheckpointMetadata decoded;
  if (absl::Status s = DecodeCheckpointMetadata(path, header.metadata, &decoded); !s.ok()) {
    return s;
  }
  ASSIGN_OR_RETURN(std::vector<Tensor> state, ReadModuleStateWithHeader(path, header, "", model));
  AssignModuleState(state, model);
  if (metadata != nullptr) *metadata = std::move(decoded);
  return absl::OkStatus();
}

absl::Status WriteFloat16Checkpoint(const std::string& input, const std::string& output,
                                    const std::function<void(Metadata*)>& edit) {
  Metadata metadata;
  ASSIGN_OR_RETURN(TensorMap tensors, ReadSafetensors(input, &metadata));
  CheckpointMetadata decoded;
  RETURN_IF_ERROR(DecodeCheckpointMetadata(input, metadata, &decoded));
  for (auto& [name, tensor] : tensors) {
    Tensor half = Tensor::Empty(tensor.shape(), DType::kFloat16, Device::CPU());
    const float* from = static_cast<const float*>(tensor.raw_data());
    uint16_t* to = static_cast<uint16_t*>(half.raw_data());
    for (int64_t i = 0; i < tensor.numel(); ++i) {
      if (std::isfinite(from[i]) && std::fabs(from[i]) > 65504.0f) {
        return absl::OutOfRangeError(absl::StrCat(input, ": tensor '", name, "' holds ", from[i],
                                                  ", beyond float16's range"));
      }
      to[i] = FloatToHalf(from[i]);  // little-endian host, as every reader here
    }
    tensor = std::move(half);
  }
  metadata["storage"] = "float16";
  if (edit) edit(&metadata);
  return WriteSafetensors(output, tensors, metadata);
}

}  // namespace nn::io
