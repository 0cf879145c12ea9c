#include "train/tiny_training_args.h"

#include <cstdlib>

#include "gtest/gtest.h"

namespace train::testing {

std::string SharedCacheDir() { return std::string(std::getenv("TEST_TMPDIR")) + "/face_cache"; }

TrainConfig Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "train");
  std::vector<const char*> argv;
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  absl::StatusOr<TrainConfig> config = ParseTrainFlags(static_cast<int>(argv.size()), argv.data());
  EXPECT_TRUE(config.ok()) << config.status();
  return config.ok() ? *config : TrainConfig();
}

std::vector<std::string> TinyArgs(const std::string& out_dir, int epochs, int threads) {
  return {"--manifest",
          kFixtureManifest,
          "--out_dir",
          out_dir,
          "--cache_dir",
          SharedCacheDir(),
          "--preset",
          "tiny",
          "--batch_size",
          "4",
          "--epochs",
          std::to_string(epochs),
          "--learning_rate",
          "3e-3",
          "--threads",
          std::to_string(threads),
          "--workers",
          std::to_string(threads),
          "--seed",
          "2",
          "--early_stopping_patience",
          "0"};
}

}  // namespace train::testing
