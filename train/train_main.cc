// //train:train: trains the deepfake detector from folders of real and fake videos (see
// README "Training" and `bazel run //train:train -- --help`).
#include <cstdio>
#include <string>

#include "train/train_config.h"
#include "train/trainer.h"

int main(int argc, char** argv) {
  std::string help;
  absl::StatusOr<train::TrainConfig> config = train::ParseTrainFlags(argc, argv, &help);
  if (!config.ok()) {
    std::fprintf(stderr, "train: %s\n(bazel run //train:train -- --help lists the flags)\n",
                 std::string(config.status().message()).c_str());
    return 2;
  }
  if (!help.empty()) {
    std::printf("%s", help.c_str());
    return 0;
  }
  absl::StatusOr<train::TrainResult> result = train::RunTraining(*config, stdout);
  if (!result.ok()) {
    std::fprintf(stderr, "train: %s\n", std::string(result.status().message()).c_str());
    return 1;
  }
  return 0;
}
