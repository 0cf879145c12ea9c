// Native checkpoints: a model's state_dict (Module::NamedState(), PyTorch names) as one
// safetensors file, with the preprocessing and label conventions the weights were trained
// with in its metadata. Loading checks every name, shape and dtype against the model and
// reports all differences at once; the model is only changed when everything matches.
#ifndef NN_IO_CHECKPOINT_H_
#define NN_IO_CHECKPOINT_H_

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nn/io/safetensors.h"
#include "nn/module.h"
#include "nn/tensor.h"

namespace nn::io {

// What a consumer needs besides the weights. Stored as safetensors metadata under the keys
// "preset", "input_size", "mean", "std" ("0.485,0.456,0.406"), "channel_order",
// "label_order", "step", plus "format" = "deepfake-checkpoint" and "format_version"; every
// extra is stored under its own key (which must not be one of those). Fields absent from a
// file keep the defaults below (e.g. files converted without metadata).
struct CheckpointMetadata {
  std::string preset;
  int64_t input_size = 224;                              // square crop side, pixels
  std::array<float, 3> mean = {0.485f, 0.456f, 0.406f};  // per channel, in channel_order
  std::array<float, 3> std_dev = {0.229f, 0.224f, 0.225f};
  std::string channel_order = "RGB";      // "RGB" or "BGR"
  std::string label_order = "REAL,FAKE";  // class names in logit order
  int64_t step = 0;                       // training step the weights come from
  std::map<std::string, std::string> extras;
};

// Writes model.NamedState() (CUDA tensors are copied to the CPU) and `metadata` to `path`,
// atomically.
absl::Status SaveCheckpoint(const std::string& path, Module& model,
                            const CheckpointMetadata& metadata);

// Loads `path` into `model` (and its metadata into `metadata`, if not null). A float32
// tensor may be stored as F16 (WriteFloat16Checkpoint) and is widened exactly. On any
// difference the model is untouched and the status names the file and lists everything
// missing, unexpected and mismatched ("conv1.weight: expected F32 [64, 3, 7, 7] vs found
// F32 [64, 3, 3, 3]"); unreadable, truncated or non-safetensors files are errors too.
absl::Status LoadCheckpoint(const std::string& path, Module* model,
                            CheckpointMetadata* metadata = nullptr);

// Writes a copy of the checkpoint `input` with every tensor stored as float16 (rounded to
// nearest even; half the size) and the metadata kept, plus "storage" = "float16".
// OutOfRange, naming the tensor, when a finite value exceeds float16's range.
// `edit` (optional) may change the metadata before it is written.
absl::Status WriteFloat16Checkpoint(const std::string& input, const std::string& output,
                                    const std::function<void(Metadata*)>& edit = nullptr);

// The building blocks, shared with the training-state file (nn/io/training_state.h).
Metadata EncodeCheckpointMetadata(const CheckpointMetadata& metadata);
// Fails, naming `path` and the key, on malformed values or an unknown format.
absl::Status DecodeCheckpointMetadata(const std::string& path, const Metadata& metadata,
                                      CheckpointMetadata* out);
// Reads the entries "<prefix><state name>" of `path` for every tensor of
// model->NamedState(), checked as LoadCheckpoint does (entries outside `prefix` are
// ignored), in NamedState() order, in the model's dtypes, on the CPU; `model` is unchanged.
absl::StatusOr<std::vector<Tensor>> ReadModuleState(const std::string& path,
                                                    const std::string& prefix, Module* model);
// Copies tensors from ReadModuleState into the model's state (any device).
void AssignModuleState(const std::vector<Tensor>& state, Module* model);

}  // namespace nn::io

#endif  // NN_IO_CHECKPOINT_H_
