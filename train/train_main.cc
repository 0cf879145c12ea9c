// //train:train: trains the deepfake detector from folders of real and fake videos (see
// README "Training" and `bazel run //train:train -- --help`); data-parallel under mpirun.
#include <cstdio>
#include <string>

#include "train/distributed/communicator.h"
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
    train::distributed::Communicator& world = train::distributed::WorldCommunicator();
    if (world.size() == 1) {
      std::fprintf(stderr, "train: %s\n", std::string(result.status().message()).c_str());
      return 1;
    }
    // Under mpirun: a rank that fails alone must not leave the others waiting. An error
    // rank 0 shared with every rank ("rank 0: ...") is printed by rank 0 alone.
    const std::string message(result.status().message());
    if (world.rank() == 0 || message.rfind("rank 0: ", 0) != 0) {
      std::fprintf(stderr, "train (rank %d of %d): %s\n", world.rank(), world.size(),
                   message.c_str());
    }
    world.Abort(1);
  }
  return 0;
}
