// Resuming from a training-state file is bit-identical to never stopping; mismatches are
// reported and change nothing.
#include "nn/io/training_state.h"

#include <cmath>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/testing/test_paths.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nn/optim/adam.h"
#include "nn/optim/clip_grad_norm.h"
#include "nn/optim/lr_scheduler.h"
#include "nn/optim/sgd.h"

namespace nn::io {
namespace {

using ::base::testing::TestTempPath;

using ::testing::HasSubstr;

class Net : public Module {
 public:
  explicit Net(uint64_t seed, int hidden = 6) {
    std::mt19937_64 init(seed);
    std::normal_distribution<float> normal;
    Tensor w = Tensor::Empty({hidden, 5}), b = Tensor::Empty({hidden});
    for (int64_t i = 0; i < w.numel(); ++i) w.data<float>()[i] = normal(init);
    for (int64_t i = 0; i < b.numel(); ++i) b.data<float>()[i] = normal(init);
    weight = RegisterParameter("weight", w);
    bias = RegisterParameter("bias", b);
    steps = RegisterBuffer("num_batches_tracked", Tensor::Zeros({}));
  }
  std::vector<float> Values() {
    std::vector<float> out;
    for (auto& [name, t] : NamedState())
      out.insert(out.end(), t->data<float>(), t->data<float>() + t->numel());
    return out;
  }
  Parameter* weight;
  Parameter* bias;
  Tensor* steps;
};

// Everything a training loop owns.
struct TrainingRun {
  TrainingRun(uint64_t seed, bool adam) : net(seed), rng(1000 + seed) {
    if (adam) {
      optimizer = std::make_unique<optim::AdamW>(net.NamedParameters());
      schedule = std::make_unique<optim::ReduceLROnPlateau>(
          optimizer.get(), optim::ReduceLROnPlateauOptions{.factor = 0.5, .patience = 1});
    } else {
      optimizer = std::make_unique<optim::SGD>(
          net.NamedParameters(), optim::SGDOptions{.lr = 0.05, .momentum = 0.9, .nesterov = true});
      schedule = std::make_unique<optim::CosineAnnealingLR>(optimizer.get(), 4, 0.001);
    }
  }
  // One step: gradient of a nonlinear function plus noise from the run's generator,
  // clipping, update; the schedule steps every 3 steps on a noisy metric.
  void TrainStep() {
    optimizer->ZeroGrad();
    std::normal_distribution<float> noise(0.0f, 0.1f);
    for (auto& [name, p] : net.NamedParameters()) {
      for (int64_t i = 0; i < p->value.numel(); ++i) {
        const float x = p->value.data<float>()[i];
        p->grad.data<float>()[i] = std::tanh(x) * x + noise(rng);
      }
    }
    optim::ClipGradNorm(net.NamedParameters(), 1.0);
    optimizer->Step();
    net.steps->data<float>()[0] += 1;
    ++progress.step;
    if (progress.step % 3 == 0) {
      ++progress.epoch;
      if (auto* plateau = dynamic_cast<optim::ReduceLROnPlateau*>(schedule.get())) {
        plateau->Step(1.0 + std::uniform_real_distribution<double>(0, 0.01)(rng));
      } else {
        static_cast<optim::CosineAnnealingLR*>(schedule.get())->Step();
      }
    }
  }
  absl::Status Save(const std::string& path) {
    progress.rng_state = SerializeRng(rng);
    return SaveTrainingState(path, net, *optimizer, schedule.get(), progress);
  }
  absl::Status Load(const std::string& path) {
    absl::Status s = LoadTrainingState(path, &net, optimizer.get(), schedule.get(), &progress);
    if (s.ok()) s = DeserializeRng(progress.rng_state, &rng);
    return s;
  }

  Net net;
  std::mt19937_64 rng;
  std::unique_ptr<optim::Optimizer> optimizer;
  std::unique_ptr<optim::LRScheduler> schedule;
  TrainingProgress progress;
};

void ExpectBitIdenticalResume(bool adam, const std::string& name) {
  constexpr int kTotal = 20, kStop = 8;
  TrainingRun reference(1, adam);
  for (int s = 0; s < kTotal; ++s) reference.TrainStep();

  const std::string path = TestTempPath(name);
  {
    TrainingRun first(1, adam);
    for (int s = 0; s < kStop; ++s) first.TrainStep();
    ASSERT_TRUE(first.Save(path).ok());
  }
  TrainingRun resumed(
      2, adam);  // different initial weights and generator: all must come from the file
  std::vector<Tensor> aliases;  // loading copies into the model's tensors, never replaces them
  for (auto& [name, tensor] : resumed.net.NamedState()) aliases.push_back(*tensor);
  absl::Status status = resumed.Load(path);
  ASSERT_TRUE(status.ok()) << status;
  const std::vector<std::pair<std::string, Tensor*>> state = resumed.net.NamedState();
  for (size_t i = 0; i < state.size(); ++i) {
    EXPECT_TRUE(state[i].second->SharesStorageWith(aliases[i])) << state[i].first;
  }
  EXPECT_EQ(resumed.progress.step, kStop);
  EXPECT_EQ(resumed.progress.epoch, kStop / 3);
  for (int s = kStop; s < kTotal; ++s) resumed.TrainStep();

  EXPECT_EQ(resumed.net.Values(), reference.net.Values());
  EXPECT_EQ(resumed.optimizer->lr(), reference.optimizer->lr());
  EXPECT_EQ(resumed.optimizer->step_count(), kTotal);
  EXPECT_EQ(resumed.rng(), reference.rng());
  EXPECT_NE(reference.optimizer->lr(), adam ? 1e-3 : 0.05) << "the schedule never acted";
}

TEST(TrainingStateTest, AdamWWithPlateauResumesBitIdentically) {
  ExpectBitIdenticalResume(true, "adamw.state");
}

TEST(TrainingStateTest, NesterovSGDWithCosineResumesBitIdentically) {
  ExpectBitIdenticalResume(false, "sgd.state");
}

TEST(TrainingStateTest, FileLayout) {
  TrainingRun run(1, true);
  for (int s = 0; s < 4; ++s) run.TrainStep();
  const std::string path = TestTempPath("layout.state");
  ASSERT_TRUE(run.Save(path).ok());
  Metadata metadata;
  absl::StatusOr<TensorMap> tensors = ReadSafetensors(path, &metadata);
  ASSERT_TRUE(tensors.ok());
  std::vector<std::string> names;
  for (const auto& [name, t] : *tensors) names.push_back(name);
  EXPECT_THAT(names,
              ::testing::ElementsAre("model.bias", "model.num_batches_tracked", "model.weight",
                                     "optim.exp_avg.bias", "optim.exp_avg.weight",
                                     "optim.exp_avg_sq.bias", "optim.exp_avg_sq.weight"));
  EXPECT_EQ(metadata.at("format"), "deepfake-training-state");
  EXPECT_EQ(metadata.at("step"), "4");
  EXPECT_EQ(metadata.at("optim.type"), "AdamW");
  EXPECT_EQ(metadata.at("sched.type"), "ReduceLROnPlateau");
  EXPECT_EQ(metadata.at("rng"), SerializeRng(run.rng));
}

TEST(TrainingStateTest, RngRoundTrip) {
  std::mt19937_64 rng(42);
  rng.discard(1000);
  std::mt19937_64 copy;
  ASSERT_TRUE(DeserializeRng(SerializeRng(rng), &copy).ok());
  EXPECT_EQ(copy, rng);
  EXPECT_FALSE(DeserializeRng("1 2 3", &copy).ok());
  EXPECT_FALSE(DeserializeRng(SerializeRng(rng) + " extra", &copy).ok());
  EXPECT_EQ(copy, rng);
}

class TrainingStateErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TrainingRun run(1, true);
    for (int s = 0; s < 4; ++s) run.TrainStep();
    ASSERT_TRUE(run.Save(path_).ok());
  }
  // Checks that a failed load left everything as it was.
  void ExpectUnchanged(TrainingRun& run, const std::vector<float>& values, double lr) {
    EXPECT_EQ(run.net.Values(), values);
    EXPECT_EQ(run.optimizer->lr(), lr);
    EXPECT_EQ(run.optimizer->step_count(), 0);
    EXPECT_EQ(run.progress.step, 0);
    EXPECT_EQ(run.schedule->last_epoch(), 0);
  }
  const std::string path_ = TestTempPath("error.state");
};

TEST_F(TrainingStateErrorTest, ModelMismatch) {
  TrainingRun run(3, true);
  Net other(3, /*hidden=*/7);
  const std::vector<float> values = other.Values();
  absl::Status s =
      LoadTrainingState(path_, &other, run.optimizer.get(), run.schedule.get(), &run.progress);
  EXPECT_THAT(s.message(),
              HasSubstr(path_ + ": does not match the model: mismatched 2 "
                                "(model.weight: expected F32 [7, 5] vs found F32 "
                                "[6, 5], model.bias: expected F32 [7] vs found F32 [6])"));
  EXPECT_EQ(other.Values(), values);
}

TEST_F(TrainingStateErrorTest, OptimizerMismatch) {
  TrainingRun run(3, false);  // SGD + cosine
  const std::vector<float> values = run.net.Values();
  absl::Status s = run.Load(path_);
  EXPECT_THAT(s.message(), HasSubstr(path_ + ": optimizer state is AdamW, the optimizer is SGD"));
  ExpectUnchanged(run, values, 0.05);
}

TEST_F(TrainingStateErrorTest, ScheduleMismatch) {
  TrainingRun run(3, true);
  const std::vector<float> values = run.net.Values();
  optim::StepLR step(run.optimizer.get(), 2);
  absl::Status s = LoadTrainingState(path_, &run.net, run.optimizer.get(), &step, &run.progress);
  EXPECT_THAT(s.message(),
              HasSubstr("schedule state is ReduceLROnPlateau, the schedule is StepLR"));
  s = LoadTrainingState(path_, &run.net, run.optimizer.get(), nullptr, &run.progress);
  EXPECT_THAT(s.message(), HasSubstr("holds a ReduceLROnPlateau schedule, but no schedule"));
  ExpectUnchanged(run, values, 1e-3);
}

TEST_F(TrainingStateErrorTest, CheckpointIsNotATrainingState) {
  TrainingRun run(3, true);
  Metadata metadata = {{"format", "deepfake-checkpoint"}};
  TensorMap tensors;
  for (auto& [name, t] : run.net.NamedState()) tensors[name] = *t;
  const std::string path = TestTempPath("checkpoint.safetensors");
  ASSERT_TRUE(WriteSafetensors(path, tensors, metadata).ok());
  EXPECT_THAT(run.Load(path).message(), HasSubstr(path + ": not a training state"));
}

TEST_F(TrainingStateErrorTest, TruncatedFile) {
  std::ifstream in(path_, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  const std::string path = TestTempPath("truncated.state");
  std::ofstream(path, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  TrainingRun run(3, true);
  const std::vector<float> values = run.net.Values();
  const absl::Status s = run.Load(path);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr(path));
  ExpectUnchanged(run, values, 1e-3);
}

TEST_F(TrainingStateErrorTest, CorruptedRngState) {
  Metadata metadata;
  absl::StatusOr<TensorMap> tensors = ReadSafetensors(path_, &metadata);
  ASSERT_TRUE(tensors.ok());
  metadata["rng"] = "not numbers";
  const std::string path = TestTempPath("badrng.state");
  ASSERT_TRUE(WriteSafetensors(path, *tensors, metadata).ok());
  TrainingRun run(3, true);
  const std::vector<float> values = run.net.Values();
  EXPECT_THAT(run.Load(path).message(),
              HasSubstr(path + ": metadata 'rng': not a std::mt19937_64"));
  ExpectUnchanged(run, values, 1e-3);
}

}  // namespace
}  // namespace nn::io
