// End to end: //train:train's loop on the committed fixture clips (train/testdata: real
// faces and strongly tinted self-blends, identity-disjoint splits) with the `tiny` preset.
// The loss falls and validation AUC beats chance by far; a run stopped half-way and
// resumed ends with the same weights, bit for bit, as one that ran straight through; every
// user error is reported before training.
#include "train/trainer.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "base/testing/test_paths.h"
#include "base/thread_pool.h"
#include "eval/model_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nn/io/safetensors.h"
#include "train/tiny_training_args.h"
#include "train/train_config.h"

namespace train {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using testing::Parse;
using testing::SharedCacheDir;

// The tiny run on 2 threads (tiny_training_args.h).
std::vector<std::string> TinyArgs(const std::string& out_dir, int epochs) {
  return testing::TinyArgs(out_dir, epochs, /*threads=*/2);
}

std::vector<std::string> With(std::vector<std::string> args, std::vector<std::string> extra) {
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
}

int CountLines(const std::string& path) {
  std::ifstream in(path);
  int lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  return lines;
}

TEST(TrainerTest, TinyPresetLearnsTheFixtureClips) {
  const std::string out = base::testing::TestTempDir("run");
  absl::StatusOr<TrainResult> result =
      RunTraining(Parse(With(TinyArgs(out, 20), {"--augment", "none"})));
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->history.size(), 20u);
  const auto& h = result->history;
  // The loss falls: the last three epochs' mean well below the first three's.
  const double first = (h[0].train_loss + h[1].train_loss + h[2].train_loss) / 3;
  const double last = (h[17].train_loss + h[18].train_loss + h[19].train_loss) / 3;
  EXPECT_LT(last, 0.8 * first) << "train loss " << first << " -> " << last;
  // Validation (3 identities, 6 videos): AUC far above chance at the best epoch.
  ASSERT_GE(result->best_epoch, 1);
  const EpochRecord& best = h[result->best_epoch - 1];
  EXPECT_GE(best.val_auc, 0.85);
  EXPECT_GT(best.frames_per_second, 0);
  EXPECT_GE(best.data_wait_share, 0);
  EXPECT_LE(best.data_wait_share, 1);

  // The files a user looks at.
  for (const char* name :
       {"best.safetensors", "last.safetensors", "train_state.safetensors", "metrics.jsonl",
        "metrics.csv", "curves.png", "roc.png", "run.json", "val_predictions.csv"}) {
    EXPECT_TRUE(fs::exists(out + "/" + name)) << name;
  }
  EXPECT_EQ(CountLines(out + "/metrics.jsonl"), 20);
  EXPECT_EQ(CountLines(out + "/metrics.csv"), 21);  // header + 20
  const nlohmann::json run = ReadJson(out + "/run.json");
  EXPECT_EQ(run["status"], "finished");
  EXPECT_EQ(run["best_epoch"], result->best_epoch);
  EXPECT_EQ(run["config"]["preset"], "tiny");
  EXPECT_THAT(run["command"].get<std::string>(), HasSubstr("--preset tiny"));
  EXPECT_EQ(run["data"]["split"]["method"], "manifest");
  EXPECT_EQ(run["data"]["train"]["real"]["usable_videos"], 7);
  EXPECT_EQ(run["data"]["val"]["fake"]["usable_videos"], 3);
  EXPECT_TRUE(run["augmentations"].is_object());
  EXPECT_GT(run["throughput"]["frames_per_second"].get<double>(), 0);

  // best.safetensors: what `deepfake evaluate` needs, with the threshold chosen on validation.
  absl::StatusOr<eval::LoadedModel> model =
      eval::LoadModel(out + "/best.safetensors", nn::Device::CPU());
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->preset.name, "tiny");
  EXPECT_EQ(model->provenance.threshold_method, "val_balanced_accuracy");
  EXPECT_DOUBLE_EQ(model->provenance.threshold, best.threshold);
  EXPECT_EQ(model->provenance.training["epoch"], result->best_epoch);
}

// Weights of a checkpoint, by name.
nn::io::TensorMap Weights(const std::string& path) {
  absl::StatusOr<nn::io::TensorMap> tensors = nn::io::ReadSafetensors(path);
  EXPECT_TRUE(tensors.ok()) << tensors.status();
  return tensors.ok() ? *tensors : nn::io::TensorMap();
}

void ExpectBitIdentical(const nn::io::TensorMap& a, const nn::io::TensorMap& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, tensor] : a) {
    ASSERT_TRUE(b.count(name)) << name;
    const nn::Tensor& other = b.at(name);
    ASSERT_EQ(tensor.shape(), other.shape()) << name;
    ASSERT_EQ(std::memcmp(tensor.data<float>(), other.data<float>(), tensor.numel() * 4), 0)
        << name << " differs";
  }
}

// --threshold_max_fpr: the stored threshold flags at most that share of validation reals.
TEST(TrainerTest, ThresholdMaxFprBoundsValidationFalseAlarms) {
  const std::string out = base::testing::TestTempDir("fpr");
  absl::StatusOr<TrainResult> result = RunTraining(
      Parse(With(TinyArgs(out, 3), {"--augment", "none", "--threshold_max_fpr", "0.34"})));
  ASSERT_TRUE(result.ok()) << result.status();
  absl::StatusOr<eval::LoadedModel> model =
      eval::LoadModel(out + "/best.safetensors", nn::Device::CPU());
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->provenance.threshold_method, "val_fpr_at_most_0.34");
  EXPECT_DOUBLE_EQ(model->provenance.threshold, result->history[result->best_epoch - 1].threshold);
  // val_predictions.csv (path,label,score,verdict,...) holds the best epoch's verdicts at
  // that threshold: of the 3 validation reals, at most floor(0.34 * 3) = 1 is called FAKE.
  std::ifstream csv(out + "/val_predictions.csv");
  int reals = 0, flagged = 0;
  for (std::string line; std::getline(csv, line);) {
    // The last five fields (the path may hold commas): label, score, verdict, tracks, error.
    const std::vector<std::string> fields = absl::StrSplit(line, ',');
    ASSERT_GE(fields.size(), 6u) << line;
    if (fields[fields.size() - 5] != "REAL") continue;
    ++reals;
    flagged += fields[fields.size() - 3] == "FAKE";
  }
  EXPECT_EQ(reals, 3);
  EXPECT_LE(flagged, 1);
}

TEST(TrainerTest, ResumeIsBitIdenticalToAStraightRun) {
  // Augmentation, temporal jitter, self-blends, face swaps and dropout on: every source of
  // randomness.
  const std::vector<std::string> extra = {
      "--augment",         "preset", "--self_blend_ratio",       "0.3",
      "--face_swap_ratio", "0.2",    "--freeze_backbone_epochs", "1"};
  const std::string straight = base::testing::TestTempDir("straight");
  const std::string resumed = base::testing::TestTempDir("resumed");
  ASSERT_TRUE(RunTraining(Parse(With(TinyArgs(straight, 4), extra))).ok());
  ASSERT_TRUE(RunTraining(Parse(With(TinyArgs(resumed, 2), extra))).ok());
  absl::StatusOr<TrainResult> second =
      RunTraining(Parse(With(TinyArgs(resumed, 4), With(extra, {"--resume"}))));
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->history.size(), 4u);

  ExpectBitIdentical(Weights(straight + "/last.safetensors"),
                     Weights(resumed + "/last.safetensors"));
  // The same epochs, the same numbers.
  std::ifstream a(straight + "/metrics.jsonl"), b(resumed + "/metrics.jsonl");
  for (int epoch = 1; epoch <= 4; ++epoch) {
    std::string line_a, line_b;
    std::getline(a, line_a);
    std::getline(b, line_b);
    const nlohmann::json ja = nlohmann::json::parse(line_a), jb = nlohmann::json::parse(line_b);
    EXPECT_EQ(ja["train_loss"], jb["train_loss"]) << "epoch " << epoch;
    EXPECT_EQ(ja["val_loss"], jb["val_loss"]) << "epoch " << epoch;
    EXPECT_EQ(ja["lr"], jb["lr"]) << "epoch " << epoch;
  }
}

TEST(TrainerTest, ResumeRefusesDifferentFlags) {
  const std::string out = base::testing::TestTempDir("run");
  ASSERT_TRUE(RunTraining(Parse(With(TinyArgs(out, 1), {"--augment", "none"}))).ok());
  absl::StatusOr<TrainResult> resumed = RunTraining(
      Parse(With(TinyArgs(out, 2), {"--augment", "none", "--resume", "--batch_size", "2"})));
  EXPECT_EQ(resumed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(resumed.status().message(), HasSubstr("--resume: the flags differ from the run in"));
  EXPECT_THAT(resumed.status().message(), HasSubstr("--batch_size 2 (the run has 4)"));
}

TEST(TrainerTest, SgdCosineAccumulationLossWeightAndMaxHours) {
  const std::string out = base::testing::TestTempDir("sgd");
  absl::StatusOr<TrainResult> result = RunTraining(
      Parse(With(TinyArgs(out, 3),
                 {"--augment", "none", "--optimizer", "sgd", "--scheduler", "cosine",
                  "--grad_accum", "2", "--clip_grad_norm", "1", "--balance", "loss_weight"})));
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->history.size(), 3u);
  EXPECT_EQ(result->stop_reason, "epochs");
  // Cosine over 3 epochs from 3e-3, as torch.optim.lr_scheduler.CosineAnnealingLR.
  EXPECT_DOUBLE_EQ(result->history[0].lr, 3e-3);
  EXPECT_NEAR(result->history[1].lr, 3e-3 * (1 + std::cos(M_PI / 3)) / 2, 1e-12);
  const nlohmann::json run = ReadJson(out + "/run.json");
  EXPECT_EQ(run["config"]["optimizer"], "sgd");
  EXPECT_EQ(run["optimizer_steps"], 6);  // 4 batches per epoch, 2 per step: 2 steps x 3

  // --max_hours: stops once another epoch would not fit.
  const std::string limited = base::testing::TestTempDir("limited");
  absl::StatusOr<TrainResult> stopped =
      RunTraining(Parse(With(TinyArgs(limited, 5), {"--augment", "none", "--max_hours", "1e-7"})));
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_EQ(stopped->history.size(), 1u);
  EXPECT_EQ(stopped->stop_reason, "max_hours");
  EXPECT_EQ(ReadJson(limited + "/run.json")["stop_reason"], "max_hours");
}

TEST(TrainerTest, FeatureCacheModeTrainsOnlyTheHead) {
  // A backbone worth freezing first (its batch-norm statistics too): a short full run.
  const std::string base_run = base::testing::TestTempDir("base");
  ASSERT_TRUE(RunTraining(Parse(With(TinyArgs(base_run, 6), {"--augment", "none"}))).ok());
  const std::string init = base_run + "/last.safetensors";
  const std::string out = base::testing::TestTempDir("features");
  absl::StatusOr<TrainResult> result =
      RunTraining(Parse(With(TinyArgs(out, 10), {"--feature_cache", "--augment", "none",
                                                 "--learning_rate", "1e-2", "--init", init})));
  ASSERT_TRUE(result.ok()) << result.status();
  const auto& h = result->history;
  EXPECT_TRUE(h[0].backbone_frozen);
  EXPECT_LT(h.back().train_loss, h.front().train_loss);
  // The backbone is exactly the initial one; the LSTM and head moved.
  const nn::io::TensorMap before = Weights(init), after = Weights(out + "/last.safetensors");
  int head_changed = 0;
  for (const auto& [name, tensor] : before) {
    const bool same =
        std::memcmp(tensor.data<float>(), after.at(name).data<float>(), tensor.numel() * 4) == 0;
    if (name.rfind("model.", 0) == 0) {
      EXPECT_TRUE(same) << name << " changed while frozen";
    } else {
      head_changed += !same;
    }
  }
  EXPECT_GT(head_changed, 0);
}

TEST(TrainerTest, ErrorsBeforeTraining) {
  // An out_dir holding another run.
  const std::string out = base::testing::TestTempDir("taken");
  std::ofstream(out + "/run.json") << "{}";
  absl::StatusOr<TrainResult> taken = RunTraining(Parse(TinyArgs(out, 1)));
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(taken.status().message(),
              HasSubstr("holds another run (run.json / checkpoints); pass --resume to continue "
                        "it or --overwrite to replace it"));
  // --overwrite with an input error keeps the previous run's files: they go only once every
  // check before training passed.
  absl::StatusOr<TrainResult> overwrite =
      RunTraining(Parse({"--real_paths", "train/testdata/videos/real_*.mp4", "--fake_paths",
                         "train/testdata/videos/nothing_*.mp4", "--out_dir", out, "--preset",
                         "tiny", "--overwrite"}));
  EXPECT_THAT(overwrite.status().message(), HasSubstr("nothing_*.mp4"));
  EXPECT_TRUE(fs::exists(out + "/run.json"));
  // Nothing to resume.
  const std::string empty = base::testing::TestTempDir("empty");
  absl::StatusOr<TrainResult> nothing = RunTraining(Parse(With(TinyArgs(empty, 1), {"--resume"})));
  EXPECT_THAT(nothing.status().message(), HasSubstr("holds no train_state.safetensors"));

  // An empty glob.
  const std::string glob_out = base::testing::TestTempDir("glob");
  absl::StatusOr<TrainResult> glob = RunTraining(Parse(
      {"--real_paths", "train/testdata/videos/real_*.mp4", "--fake_paths",
       "train/testdata/videos/nothing_*.mp4", "--out_dir", glob_out + "/run", "--preset", "tiny"}));
  EXPECT_FALSE(glob.ok());
  EXPECT_THAT(glob.status().message(), HasSubstr("nothing_*.mp4"));
  EXPECT_FALSE(fs::exists(glob_out + "/run/best.safetensors"));

  // A class with no usable video: the "fakes" are not videos.
  const std::string bad = base::testing::TestTempDir("bad");
  std::ofstream(bad + "/a.mp4") << "not a video";
  std::ofstream(bad + "/b.mp4") << "not a video either";
  absl::StatusOr<TrainResult> unusable = RunTraining(
      Parse({"--real_paths", "train/testdata/videos/real_*.mp4", "--fake_paths", bad + "/a.mp4",
             bad + "/b.mp4", "--val_real_paths",
             "train/testdata/videos/real_sadtalker_WDA_KatieHill_000.mp4", "--val_fake_paths",
             "train/testdata/videos/fake_sadtalker_WDA_KatieHill_000.mp4", "--out_dir",
             bad + "/run", "--cache_dir", SharedCacheDir(), "--preset", "tiny"}));
  EXPECT_EQ(unusable.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(unusable.status().message(),
              HasSubstr("no usable fake video in the training split: every one was skipped"));

  // An --init that does not fit the preset.
  const std::string init = base::testing::TestTempDir("init");
  {
    nn::io::TensorMap tensors;
    tensors["lstm.weight_ih_l0"] = nn::Tensor::Zeros({3, 3});
    ASSERT_TRUE(nn::io::WriteSafetensors(init + "/other.safetensors", tensors).ok());
  }
  absl::StatusOr<TrainResult> misfit =
      RunTraining(Parse(With(TinyArgs(init + "/run", 1), {"--init", init + "/other.safetensors"})));
  EXPECT_EQ(misfit.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(misfit.status().message(), HasSubstr("--init does not fit preset 'tiny'"));
  EXPECT_THAT(misfit.status().message(), HasSubstr("lstm.weight_ih_l0"));
  absl::StatusOr<TrainResult> partial = RunTraining(Parse(With(
      TinyArgs(init + "/run2", 1), {"--init", init + "/other.safetensors", "--init_partial"})));
  EXPECT_THAT(partial.status().message(), HasSubstr("no tensor fits preset 'tiny'"));
}

}  // namespace
}  // namespace train
