// Model files: checkpoint metadata from a preset plus provenance, and loading with every
// check that keeps a checkpoint from being run with the wrong architecture or input.
#include "eval/model_file.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <system_error>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/sha256.h"
#include "base/status_macros.h"
#include "nn/io/safetensors.h"

namespace eval {
namespace {

constexpr char kThreshold[] = "threshold";
constexpr char kThresholdMethod[] = "threshold_method";
constexpr char kValBalancedAccuracy[] = "val_balanced_accuracy";
constexpr char kTraining[] = "training";
constexpr char kFrames[] = "frames";

std::string Number(double value) { return absl::StrFormat("%.17g", value); }

absl::StatusOr<double> ParseNumber(const std::string& path, const std::string& key,
                                   const std::string& value) {
  if (value == "nan") return std::numeric_limits<double>::quiet_NaN();
  double number = 0;
  if (!absl::SimpleAtod(value, &number)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": metadata '", key, "' = '", value, "' is not a number"));
  }
  return number;
}

std::string FloatTriple(const std::array<float, 3>& values) {
  return absl::StrFormat("%g,%g,%g", values[0], values[1], values[2]);
}

// What in the metadata contradicts `preset` ("input_size 64 (preset: 32)", ...).
std::vector<std::string> Contradictions(const nn::io::CheckpointMetadata& metadata,
                                        const nn::ModelPreset& preset) {
  const nn::Preprocessing& p = preset.preprocessing;
  std::vector<std::string> problems;
  if (metadata.input_size != p.image_size) {
    problems.push_back(
        absl::StrCat("input_size ", metadata.input_size, " (preset: ", p.image_size, ")"));
  }
  if (metadata.mean != p.mean) {
    problems.push_back(
        absl::StrCat("mean ", FloatTriple(metadata.mean), " (preset: ", FloatTriple(p.mean), ")"));
  }
  if (metadata.std_dev != p.std) {
    problems.push_back(
        absl::StrCat("std ", FloatTriple(metadata.std_dev), " (preset: ", FloatTriple(p.std), ")"));
  }
  const std::string channel_order = nn::ChannelOrderName(p.channel_order);
  if (metadata.channel_order != channel_order) {
    problems.push_back(
        absl::StrCat("channel_order ", metadata.channel_order, " (preset: ", channel_order, ")"));
  }
  const std::string labels = absl::StrJoin(preset.labels, ",");
  if (metadata.label_order != labels) {
    problems.push_back(
        absl::StrCat("label_order ", metadata.label_order, " (preset: ", labels, ")"));
  }
  auto frames = metadata.extras.find(kFrames);
  if (frames != metadata.extras.end() && frames->second != absl::StrCat(p.frames)) {
    problems.push_back(absl::StrCat("frames ", frames->second, " (preset: ", p.frames, ")"));
  }
  return problems;
}

absl::StatusOr<ModelProvenance> ProvenanceFromMetadata(const std::string& path,
                                                       const nn::io::CheckpointMetadata& metadata) {
  ModelProvenance provenance;
  provenance.val_balanced_accuracy = std::numeric_limits<double>::quiet_NaN();
  const auto& extras = metadata.extras;
  if (auto it = extras.find(kThreshold); it != extras.end()) {
    ASSIGN_OR_RETURN(provenance.threshold, ParseNumber(path, kThreshold, it->second));
    if (!(provenance.threshold >= 0 && provenance.threshold <= 1)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": metadata 'threshold' = '", it->second,
                                                     "' is not a probability in [0, 1]"));
    }
  }
  if (auto it = extras.find(kThresholdMethod); it != extras.end()) {
    provenance.threshold_method = it->second;
  }
  if (auto it = extras.find(kValBalancedAccuracy); it != extras.end()) {
    ASSIGN_OR_RETURN(provenance.val_balanced_accuracy,
                     ParseNumber(path, kValBalancedAccuracy, it->second));
  }
  if (auto it = extras.find(kTraining); it != extras.end()) {
    provenance.training = nlohmann::json::parse(it->second, nullptr, /*allow_exceptions=*/false);
    if (provenance.training.is_discarded() || !provenance.training.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": metadata 'training' is not a JSON object"));
    }
  }
  return provenance;
}

}  // namespace

nn::io::CheckpointMetadata MetadataForModel(const nn::ModelPreset& preset,
                                            const ModelProvenance& provenance, int64_t step) {
  nn::io::CheckpointMetadata metadata;
  metadata.preset = preset.name;
  metadata.input_size = preset.preprocessing.image_size;
  metadata.mean = preset.preprocessing.mean;
  metadata.std_dev = preset.preprocessing.std;
  metadata.channel_order = nn::ChannelOrderName(preset.preprocessing.channel_order);
  metadata.label_order = absl::StrJoin(preset.labels, ",");
  metadata.step = step;
  metadata.extras[kFrames] = absl::StrCat(preset.preprocessing.frames);
  metadata.extras[kThreshold] = Number(provenance.threshold);
  metadata.extras[kThresholdMethod] = provenance.threshold_method;
  metadata.extras[kValBalancedAccuracy] = std::isnan(provenance.val_balanced_accuracy)
                                              ? "nan"
                                              : Number(provenance.val_balanced_accuracy);
  metadata.extras[kTraining] = provenance.training.dump();
  return metadata;
}

absl::StatusOr<LoadedModel> LoadModel(const std::string& path, nn::Device device) {
  LoadedModel loaded;
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return absl::NotFoundError(absl::StrCat(path, ": no such model file"));
  }
  ASSIGN_OR_RETURN(loaded.sha256, base::Sha256FileHex(path));
  ASSIGN_OR_RETURN(nn::io::SafetensorsHeader header, nn::io::ReadSafetensorsHeader(path));
  RETURN_IF_ERROR(nn::io::DecodeCheckpointMetadata(path, header.metadata, &loaded.metadata));
  if (loaded.metadata.preset.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path,
                     ": the checkpoint names no model preset in its metadata (was it written by "
                     "//train:train or tools/convert_weights?); known presets: ",
                     absl::StrJoin(nn::PresetNames(), ", ")));
  }
  absl::StatusOr<nn::ModelPreset> preset = nn::GetPreset(loaded.metadata.preset);
  if (!preset.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": metadata names ", preset.status().message()));
  }
  loaded.preset = *std::move(preset);
  if (std::vector<std::string> problems = Contradictions(loaded.metadata, loaded.preset);
      !problems.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": metadata contradicts preset '",
                                                   loaded.preset.name,
                                                   "': ", absl::StrJoin(problems, "; ")));
  }
  ASSIGN_OR_RETURN(loaded.provenance, ProvenanceFromMetadata(path, loaded.metadata));

  loaded.model = std::make_unique<nn::Detector>(loaded.preset.detector);
  ASSIGN_OR_RETURN(std::vector<nn::Tensor> state,
                   nn::io::ReadModuleState(path, "", loaded.model.get()));
  nn::io::AssignModuleState(state, loaded.model.get());
  loaded.model->Eval();
  if (device != nn::Device::CPU()) loaded.model->To(device);
  return loaded;
}

}  // namespace eval
