#include "serve/api/testing/test_model.h"

#include "eval/model_file.h"
#include "nn/check.h"
#include "nn/io/checkpoint.h"
#include "nn/layers/init.h"
#include "nn/models/presets.h"

namespace serve::testing {

std::string WriteRandomModel(const std::string& path, const std::string& preset_name, int seed,
                             double threshold) {
  const absl::StatusOr<nn::ModelPreset> preset = nn::GetPreset(preset_name);
  NN_CHECK(preset.ok()) << preset.status();
  nn::SetInitSeed(seed);
  nn::Detector model(preset->detector);
  eval::ModelProvenance provenance;
  provenance.threshold = threshold;
  const absl::Status saved =
      nn::io::SaveCheckpoint(path, model, eval::MetadataForModel(*preset, provenance, 1));
  NN_CHECK(saved.ok()) << saved;
  return path;
}

}  // namespace serve::testing
