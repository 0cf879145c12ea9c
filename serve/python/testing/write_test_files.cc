// Files the Python module's tests (and tests/golden_detect_test) need and cannot make
// without PyTorch or FFmpeg's encoders:
//   write_test_files checkpoint PRESET OUT.safetensors [SEED=1] [THRESHOLD=0.5]
//       a native checkpoint of PRESET with seeded random weights (PyTorch's default
//       initialisation, nn/layers/init.h), as //train:train writes an untrained model
//   write_test_files pattern_clip OUT.mp4
//       a 1-second 320x240 H.264 test pattern: a real video with no face in it
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "eval/model_file.h"
#include "nn/io/checkpoint.h"
#include "nn/layers/init.h"
#include "nn/models/detector.h"
#include "nn/models/presets.h"
#include "video/testing/synthetic_clips.h"

namespace {

absl::Status WriteCheckpoint(const std::string& preset_name, const std::string& out, uint64_t seed,
                             double threshold) {
  const absl::StatusOr<nn::ModelPreset> preset = nn::GetPreset(preset_name);
  if (!preset.ok()) return preset.status();
  nn::SetInitSeed(seed);
  nn::Detector model(preset->detector);
  eval::ModelProvenance provenance;
  provenance.threshold = threshold;
  return nn::io::SaveCheckpoint(out, model,
                                eval::MetadataForModel(*preset, provenance, /*step=*/0));
}

int Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s checkpoint PRESET OUT.safetensors [SEED] [THRESHOLD]\n"
               "       %s pattern_clip OUT.mp4\n",
               argv0, argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage(argv[0]);
  const std::string what = argv[1];
  absl::Status status;
  if (what == "checkpoint" && argc >= 4 && argc <= 6) {
    status = WriteCheckpoint(argv[2], argv[3], argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 1,
                             argc > 5 ? std::strtod(argv[5], nullptr) : 0.5);
  } else if (what == "pattern_clip" && argc == 3) {
    video::testing::SyntheticClipOptions clip;
    clip.width = 320;
    clip.height = 240;
    status = video::testing::WriteSyntheticClip(argv[2], clip);
  } else {
    return Usage(argv[0]);
  }
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
