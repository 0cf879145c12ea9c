// //train:train data-parallel on real MPI processes (mpirun -np 2, see BUILD), on the
// fixture clips with the tiny preset and every source of randomness on (augmentation,
// temporal jitter, self-blending, dropout):
// - 2 ranks with batch B end with the weights of one process with batch B and
//   --grad_accum 2 (the same global batch of 2B; batch norm statistics per batch of B in
//   both), and the same training loss;
// - a run resumed with another rank count (2 -> 1 and 1 -> 2, the global batch kept with
//   --grad_accum) ends where a straight run ends;
// - with the feature cache (frozen backbone, cached features) too, validation included;
// - rank 0 alone writes OUT_DIR; run.json records the ranks.
// Parameters are compared, not batch-norm running statistics: those are rank 0's in a
// data-parallel run (README "Training on several processes/machines").
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "base/testing/test_paths.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nn/io/safetensors.h"
#include "nn/testing/tensor_matchers.h"
#include "train/distributed/communicator.h"
#include "train/tiny_training_args.h"
#include "train/train_config.h"
#include "train/trainer.h"

namespace train {
namespace {

namespace fs = std::filesystem;
using distributed::Communicator;

Communicator& World() { return distributed::WorldCommunicator(); }

using testing::Parse;

// trainer_test's tiny run, one thread per process (so kernels sum in the same order in
// every run), with every random step on.
std::vector<std::string> Args(const std::string& out_dir, int epochs,
                              std::vector<std::string> extra = {}) {
  std::vector<std::string> args = testing::TinyArgs(out_dir, epochs, /*threads=*/1);
  // Every random step on, unless the feature cache (which needs --augment none) is asked.
  if (std::find(extra.begin(), extra.end(), "--feature_cache") == extra.end()) {
    extra.insert(extra.end(), {"--augment", "preset", "--self_blend_ratio", "0.3"});
  } else {
    extra.insert(extra.end(), {"--augment", "none"});
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// The same directory on every rank (one TEST_TMPDIR).
std::string Dir(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

// A run of this process alone (the other ranks wait).
absl::StatusOr<TrainResult> RunAlone(const TrainConfig& config) {
  std::unique_ptr<Communicator> alone = distributed::NewSingleProcessCommunicator();
  return RunTraining(config, stdout, alone.get());
}

bool IsRunningStatistic(const std::string& name) {
  return name.find("running_") != std::string::npos ||
         name.find("num_batches_tracked") != std::string::npos;
}

// Every parameter of two checkpoints within `rel` of the tensor's largest value; returns
// how many elements were bit-identical (reported).
void ExpectSameParameters(const std::string& a_path, const std::string& b_path, double rel) {
  absl::StatusOr<nn::io::TensorMap> a = nn::io::ReadSafetensors(a_path);
  absl::StatusOr<nn::io::TensorMap> b = nn::io::ReadSafetensors(b_path);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(a->size(), b->size());
  int64_t compared = 0, identical = 0;
  for (const auto& [name, tensor] : *a) {
    if (IsRunningStatistic(name) || tensor.dtype() != nn::DType::kFloat32) continue;
    ASSERT_TRUE(b->count(name)) << name;
    EXPECT_TRUE(nn::testing::TensorsNear(tensor, b->at(name), nn::testing::RelativeToLargest(rel)))
        << name;
    const nn::testing::TensorDifference d =
        nn::testing::CompareTensors(tensor, b->at(name), nn::testing::RelativeToLargest(rel));
    compared += d.numel;
    identical += d.equal;
  }
  EXPECT_GT(compared, 1000);
  std::printf("%s vs %s: %lld of %lld parameter values bit-identical\n", a_path.c_str(),
              b_path.c_str(), static_cast<long long>(identical), static_cast<long long>(compared));
}

TEST(TrainerDistributedTest, TwoRanksMatchOneProcessWithGradientAccumulation) {
  ASSERT_EQ(World().size(), 2);
  const std::string ddp = Dir("ddp"), single = Dir("single");
  absl::StatusOr<TrainResult> parallel = RunTraining(Parse(Args(ddp, 2)));
  ASSERT_TRUE(parallel.ok()) << parallel.status();
  ASSERT_EQ(parallel->history.size(), 2u);
  if (World().rank() == 0) {
    absl::StatusOr<TrainResult> one = RunAlone(Parse(Args(single, 2, {"--grad_accum", "2"})));
    ASSERT_TRUE(one.ok()) << one.status();
    ExpectSameParameters(ddp + "/last.safetensors", single + "/last.safetensors", 1e-5);
    for (int e = 0; e < 2; ++e) {
      EXPECT_NEAR(parallel->history[e].train_loss, one->history[e].train_loss, 1e-5)
          << "epoch " << e + 1;
    }
    // Rank 0 wrote the run; it knows its ranks.
    std::ifstream in(ddp + "/run.json");
    const nlohmann::json run = nlohmann::json::parse(in, nullptr, false);
    EXPECT_EQ(run["status"], "finished");
    EXPECT_EQ(run["world_size"], 2);
    EXPECT_EQ(run["distributed"]["global_batch"], 8);
    EXPECT_GT(run["distributed"]["allreduce_bytes"].get<double>(), 0);
    EXPECT_THAT(run["distributed"]["communicator"].get<std::string>(), ::testing::HasSubstr("MPI"));
  }
  World().Barrier();
}

// The feature cache's own batching (cached LSTM inputs) shards the same way.
TEST(TrainerDistributedTest, FeatureCacheTwoRanksMatchOneProcess) {
  const std::string ddp = Dir("features_ddp"), single = Dir("features_single");
  absl::StatusOr<TrainResult> parallel = RunTraining(Parse(Args(ddp, 2, {"--feature_cache"})));
  ASSERT_TRUE(parallel.ok()) << parallel.status();
  if (World().rank() == 0) {
    absl::StatusOr<TrainResult> one =
        RunAlone(Parse(Args(single, 2, {"--feature_cache", "--grad_accum", "2"})));
    ASSERT_TRUE(one.ok()) << one.status();
    ExpectSameParameters(ddp + "/last.safetensors", single + "/last.safetensors", 1e-5);
    for (int e = 0; e < 2; ++e) {
      EXPECT_NEAR(parallel->history[e].train_loss, one->history[e].train_loss, 1e-5);
      // Validation too: a frozen backbone keeps the same batch-norm statistics everywhere.
      EXPECT_NEAR(parallel->history[e].val_loss, one->history[e].val_loss, 1e-5);
    }
  }
  World().Barrier();
}

TEST(TrainerDistributedTest, ResumeWithAnotherRankCount) {
  const std::string straight = Dir("straight"), from_two = Dir("from_two"),
                    from_one = Dir("from_one");
  // Two ranks for epoch 1, then one process (grad_accum 2 keeps the global batch).
  ASSERT_TRUE(RunTraining(Parse(Args(from_two, 1))).ok());
  if (World().rank() == 0) {
    absl::StatusOr<TrainResult> resumed =
        RunAlone(Parse(Args(from_two, 2, {"--grad_accum", "2", "--resume"})));
    ASSERT_TRUE(resumed.ok()) << resumed.status();
    ASSERT_EQ(resumed->history.size(), 2u);
    ASSERT_TRUE(RunAlone(Parse(Args(straight, 2, {"--grad_accum", "2"}))).ok());
    ASSERT_TRUE(RunAlone(Parse(Args(from_one, 1, {"--grad_accum", "2"}))).ok());
    ExpectSameParameters(from_two + "/last.safetensors", straight + "/last.safetensors", 1e-5);
  }
  World().Barrier();
  // One process for epoch 1 (above), then two ranks.
  absl::StatusOr<TrainResult> resumed = RunTraining(Parse(Args(from_one, 2, {"--resume"})));
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  ASSERT_EQ(resumed->history.size(), 2u);
  if (World().rank() == 0) {
    ExpectSameParameters(from_one + "/last.safetensors", straight + "/last.safetensors", 1e-5);
  }
  World().Barrier();
}

}  // namespace
}  // namespace train
