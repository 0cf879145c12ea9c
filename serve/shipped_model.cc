#include "serve/shipped_model.h"

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace serve {

namespace fs = std::filesystem;

std::vector<std::string> ShippedModelCandidates(const std::string& binary) {
  std::vector<std::string> candidates;
  if (const char* runfiles = std::getenv("RUNFILES_DIR"); runfiles != nullptr && *runfiles) {
    candidates.push_back((fs::path(runfiles) / "deepfake" / kShippedModelPath).string());
  }
  if (!binary.empty()) {
    candidates.push_back(
        (fs::path(binary + ".runfiles") / "deepfake" / kShippedModelPath).string());
    const fs::path dir = fs::path(binary).parent_path();
    candidates.push_back((dir / kShippedModelPath).string());
    candidates.push_back((dir / ".." / "share" / "deepfake" / kShippedModelPath).string());
  }
  return candidates;
}

absl::StatusOr<std::string> FindShippedModel() {
  if (const char* env = std::getenv(kShippedModelEnv); env != nullptr && *env) {
    std::error_code error;
    if (!fs::is_regular_file(env, error)) {
      return absl::NotFoundError(absl::StrCat(kShippedModelEnv, "=", env, ": no such model file"));
    }
    return std::string(env);
  }
  std::error_code error;
  const fs::path binary = fs::read_symlink("/proc/self/exe", error);
  for (const std::string& candidate : ShippedModelCandidates(error ? "" : binary.string())) {
    if (fs::is_regular_file(candidate, error)) return candidate;
  }
  return absl::NotFoundError(absl::StrCat(
      "no --model_path given, and the shipped model (", kShippedModelPath,
      ", a data dependency of //serve:deepfake) is not in this binary's runfiles or beside it; "
      "run the binary with `bazel run`, pass --model_path=CHECKPOINT or set ",
      kShippedModelEnv, "=CHECKPOINT"));
}

}  // namespace serve
