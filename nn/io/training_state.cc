// Training-state files: one safetensors file for model, optimizer, schedule and progress.
#include "nn/io/training_state.h"

#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "nn/io/checkpoint.h"
#include "nn/io/safetensors.h"

namespace nn::io {
namespace {

constexpr char kFormat[] = "deepfake-training-state";
constexpr char kFormatVersion[] = "1";
constexpr char kModelPrefix[] = "model.";
constexpr char kOptimizerPrefix[] = "optim.";
constexpr char kSchedulePrefix[] = "sched.";

absl::Status Problem(const std::string& path, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", problem));
}

}  // namespace

std::string SerializeRng(const std::mt19937_64& rng) {
  std::ostringstream out;
  out << rng;
  return out.str();
}

absl::Status DeserializeRng(const std::string& text, std::mt19937_64* rng) {
  std::istringstream in(text);
  std::mt19937_64 parsed;
  in >> parsed;
  if (in.fail()) return absl::InvalidArgumentError("not a std::mt19937_64 state");
  in >> std::ws;
  if (!in.eof()) return absl::InvalidArgumentError("trailing text after the generator state");
  *rng = parsed;
  return absl::OkStatus();
}

absl::Status SaveTrainingState(const std::string& path, Module& model,
                               const optim::Optimizer& optimizer,
                               const optim::LRScheduler* schedule,
                               const TrainingProgress& progress) {
  TensorMap tensors;
  Metadata metadata = {{"format", kFormat},
                       {"format_version", kFormatVersion},
                       {"step", absl::StrCat(progress.step)},
                       {"epoch", absl::StrCat(progress.epoch)},
                       {"rng", progress.rng_state}};
  for (const auto& [name, tensor] : model.NamedState()) {
    tensors[kModelPrefix + name] = tensor->device().is_cpu() ? *tensor : tensor->To(Device::CPU());
  }
  optimizer.ExportState(kOptimizerPrefix, &tensors, &metadata);
  if (schedule != nullptr) schedule->ExportState(kSchedulePrefix, &metadata);
  return WriteSafetensors(path, tensors, metadata);
}

absl::Status LoadTrainingState(const std::string& path, Module* model, optim::Optimizer* optimizer,
                               optim::LRScheduler* schedule, TrainingProgress* progress) {
  NN_CHECK(model != nullptr && optimizer != nullptr && progress != nullptr)
      << "LoadTrainingState: null model, optimizer or progress";
  Metadata metadata;
  ASSIGN_OR_RETURN(TensorMap tensors, ReadSafetensors(path, &metadata));

  auto format = metadata.find("format");
  if (format == metadata.end() || format->second != kFormat) {
    return Problem(path, absl::StrCat("not a training state (metadata 'format' is '",
                                      format == metadata.end() ? "" : format->second,
                                      "', expected '", kFormat, "')"));
  }
  if (metadata["format_version"] != kFormatVersion) {
    return Problem(path, absl::StrCat("training state format_version '", metadata["format_version"],
                                      "' is not ", kFormatVersion));
  }
  TrainingProgress loaded;
  if (!absl::SimpleAtoi(metadata["step"], &loaded.step) || loaded.step < 0) {
    return Problem(path, absl::StrCat("metadata 'step' = '", metadata["step"],
                                      "' is not a non-negative integer"));
  }
  if (!absl::SimpleAtoi(metadata["epoch"], &loaded.epoch) || loaded.epoch < 0) {
    return Problem(path, absl::StrCat("metadata 'epoch' = '", metadata["epoch"],
                                      "' is not a non-negative integer"));
  }
  loaded.rng_state = metadata["rng"];
  if (!loaded.rng_state.empty()) {
    std::mt19937_64 rng;
    if (absl::Status s = DeserializeRng(loaded.rng_state, &rng); !s.ok()) {
      return Problem(path, absl::StrCat("metadata 'rng': ", s.message()));
    }
  }

  // Check everything, then change everything.
  ASSIGN_OR_RETURN(std::vector<Tensor> model_state, ReadModuleState(path, kModelPrefix, model));
  if (absl::Status s = optimizer->CheckState(kOptimizerPrefix, tensors, metadata); !s.ok()) {
    return Problem(path, s.message());
  }
  const bool saved_schedule = metadata.count(absl::StrCat(kSchedulePrefix, "type")) > 0;
  if (saved_schedule && schedule == nullptr) {
    return Problem(path, absl::StrCat("holds a ", metadata[absl::StrCat(kSchedulePrefix, "type")],
                                      " schedule, but no schedule was given"));
  }
  if (!saved_schedule && schedule != nullptr) {
    return Problem(
        path, absl::StrCat("holds no schedule, but a ", schedule->type(), " schedule was given"));
  }
  if (schedule != nullptr) {
    if (absl::Status s = schedule->CheckState(kSchedulePrefix, metadata); !s.ok()) {
      return Problem(path, s.message());
    }
  }

  AssignModuleState(model_state, model);
  absl::Status imported = optimizer->ImportState(kOptimizerPrefix, tensors, metadata);
  NN_CHECK(imported.ok()) << "checked state failed to import: " << imported;
  if (schedule != nullptr) {
    imported = schedule->ImportState(kSchedulePrefix, metadata);
    NN_CHECK(imported.ok()) << "checked state failed to import: " << imported;
  }
  *progress = std::move(loaded);
  return absl::OkStatus();
}

}  // namespace nn::io
