// A trained detector on disk: a native checkpoint (nn/io/checkpoint.h) whose metadata names
// the preset (architecture, preprocessing, labels) and carries the decision threshold
// chosen on validation and the training provenance, so that evaluation and detection need
// nothing else. Written by //train:train, read by `deepfake evaluate` and `deepfake detect`.
//
// Metadata keys beyond CheckpointMetadata's own: "threshold" (%.17g), "threshold_method"
// ("val_balanced_accuracy", "val_fpr_at_most_<cap>" or "default"), "val_balanced_accuracy"
// (at that threshold), "training" (JSON: run
// name, epoch, step, command, dataset counts, validation metrics, time, version).
#ifndef EVAL_MODEL_FILE_H_
#define EVAL_MODEL_FILE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "nn/tensor.h"
#include "nn/io/checkpoint.h"
#include "nn/models/detector.h"
#include "nn/models/presets.h"

namespace eval {

struct ModelProvenance {
  double threshold = 0.5;
  std::string threshold_method = "default";
  double val_balanced_accuracy = 0;  // NaN when unknown
  nlohmann::json training = nlohmann::json::object();
};

// The checkpoint metadata for `preset` (input size, mean/std, channel order, label order)
// plus the provenance keys above.
nn::io::CheckpointMetadata MetadataForModel(const nn::ModelPreset& preset,
                                            const ModelProvenance& provenance, int64_t step);

struct LoadedModel {
  std::unique_ptr<nn::Detector> model;  // in eval mode, on the requested device
  nn::ModelPreset preset;               // from the metadata's "preset", checked against it
  nn::io::CheckpointMetadata metadata;
  ModelProvenance provenance;           // threshold 0.5 / "default" when absent
  std::string sha256;                   // of the file
};

// Errors name the file: missing, truncated, not a checkpoint, no or unknown preset,
// preprocessing in the metadata that contradicts the preset, weights that do not fit.
absl::StatusOr<LoadedModel> LoadModel(const std::string& path, nn::Device device);

}  // namespace eval

#endif  // EVAL_MODEL_FILE_H_
