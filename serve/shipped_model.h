// Where the project's shipped model (models/deepfake_default.safetensors, its card
// models/README.md) is looked for, for `deepfake detect` without --model_path (and the other
// front ends). A binary run outside Bazel and without an install finds none and says so.
//
// Order: $DEEPFAKE_MODEL when set (it must name an existing file); else
// models/deepfake_default.safetensors in the binary's Bazel runfiles ($RUNFILES_DIR, or
// BINARY.runfiles, workspace "deepfake"), else beside the binary (BINARY_DIR/models/...,
// BINARY_DIR/../share/deepfake/models/... for an install).
#ifndef SERVE_SHIPPED_MODEL_H_
#define SERVE_SHIPPED_MODEL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace serve {

inline constexpr char kShippedModelEnv[] = "DEEPFAKE_MODEL";
inline constexpr char kShippedModelPath[] = "models/deepfake_default.safetensors";

// The places searched after $DEEPFAKE_MODEL, for `binary` (the executable's path).
std::vector<std::string> ShippedModelCandidates(const std::string& binary);

// The shipped model's path. NotFound explaining what to do (pass --model_path or set
// DEEPFAKE_MODEL) when there is none; NotFound naming the variable when $DEEPFAKE_MODEL
// names a missing file.
absl::StatusOr<std::string> FindShippedModel();

}  // namespace serve

#endif  // SERVE_SHIPPED_MODEL_H_
