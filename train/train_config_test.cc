// Flags of //train:train: defaults (the seed's), every check's message, JSON, the command.
#include "train/train_config.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace train {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<TrainConfig> Parse(std::vector<std::string> args, std::string* help = nullptr) {
  args.insert(args.begin(), "train");
  std::vector<const char*> argv;
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  return ParseTrainFlags(static_cast<int>(argv.size()), argv.data(), help);
}

std::string Error(std::vector<std::string> args) {
  absl::StatusOr<TrainConfig> config = Parse(std::move(args));
  EXPECT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(config.status().message());
}

const std::vector<std::string> kMinimal = {"--real_paths", "/r/*.mp4",  "--fake_paths",
                                           "/f/*.mp4",     "--out_dir", "/runs/a"};

std::vector<std::string> With(std::vector<std::string> extra) {
  std::vector<std::string> args = kMinimal;
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(TrainConfigTest, TheSeedsDefaults) {
  absl::StatusOr<TrainConfig> config = Parse(kMinimal);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->batch_size, 8);
  EXPECT_EQ(config->sequence_length, 16);  // the default preset's
  EXPECT_EQ(config->epochs, 50);
  EXPECT_EQ(config->learning_rate, 1e-4);
  EXPECT_EQ(config->weight_decay, 1e-5);
  EXPECT_EQ(config->early_stopping_patience, 10);
  EXPECT_EQ(config->scheduler, "plateau");
  EXPECT_EQ(config->device, "auto");
  EXPECT_EQ(config->preset, "default");
  EXPECT_EQ(config->cache_dir, "/runs/a/face_cache");
  EXPECT_EQ(config->real_paths, std::vector<std::string>{"/r/*.mp4"});
  EXPECT_FALSE(config->sequence_length_given);
}

TEST(TrainConfigTest, SequenceLengthFollowsThePresetUnlessGiven) {
  EXPECT_EQ(Parse(With({"--preset", "tiny"}))->sequence_length, 4);
  absl::StatusOr<TrainConfig> given = Parse(With({"--preset", "tiny", "--sequence_length", "6"}));
  EXPECT_EQ(given->sequence_length, 6);
  EXPECT_TRUE(given->sequence_length_given);
}

TEST(TrainConfigTest, Errors) {
  EXPECT_EQ(Error({"--out_dir", "x"}),
            "no training data: give --real_paths and --fake_paths, or --manifest");
  EXPECT_EQ(Error({"--real_paths", "a", "--out_dir", "x"}),
            "--fake_paths is missing (both classes are needed)");
  EXPECT_EQ(Error({"--real_paths", "a", "--fake_paths", "b"}), "missing required flag --out_dir");
  EXPECT_EQ(Error(With({"--manifest", "/m/manifest.json"})),
            "give either --manifest or --real_paths/--fake_paths, not both");
  EXPECT_EQ(Error(With({"--val_real_paths", "v"})),
            "give both --val_real_paths and --val_fake_paths, or neither");
  EXPECT_EQ(Error(With({"--batch_size", "0"})), "--batch_size must be >= 1 (got 0)");
  EXPECT_EQ(Error(With({"--val_fraction", "1"})), "--val_fraction must be in (0, 1) (got 1)");
  EXPECT_EQ(Error(With({"--learning_rate", "-1"})), "--learning_rate must be > 0 (got -1)");
  EXPECT_EQ(Error(With({"--optimizer", "lamb"})),
            "--optimizer: 'lamb' is not one of adam, adamw, sgd");
  EXPECT_EQ(Error(With({"--scheduler", "linear"})),
            "--scheduler: 'linear' is not one of plateau, cosine, step");
  EXPECT_EQ(Error(With({"--balance", "x"})),
            "--balance: 'x' is not one of oversample, loss_weight, none");
  EXPECT_EQ(Error(With({"--device", "tpu"})), "--device: 'tpu' is not one of auto, cpu, cuda");
  EXPECT_THAT(Error(With({"--preset", "huge"})),
              HasSubstr("--preset: unknown model preset 'huge'"));
  EXPECT_EQ(Error(With({"--resume", "--overwrite"})),
            "--resume and --overwrite exclude each other");
  EXPECT_EQ(Error(With({"--self_blend_ratio", "1.5"})),
            "--self_blend_ratio must be in [0, 1] (got 1.5)");
  EXPECT_EQ(Error(With({"--face_swap_ratio", "-0.1"})),
            "--face_swap_ratio must be in [0, 1] (got -0.1)");
  EXPECT_EQ(Error(With({"--self_blend_ratio", "0.6", "--face_swap_ratio", "0.5"})),
            "--self_blend_ratio + --face_swap_ratio must be at most 1 (got 0.6 + 0.5)");
  EXPECT_EQ(Error(With({"--threshold_max_fpr", "1"})),
            "--threshold_max_fpr must be in [0, 1) (got 1; 0 keeps the balanced-accuracy "
            "threshold)");
  EXPECT_THAT(Error(With({"--feature_cache"})), HasSubstr("add --augment none"));
  EXPECT_THAT(Error(With({"--feature_cache", "--augment", "none", "--self_blend_ratio", "0.3"})),
              HasSubstr("does not combine with --self_blend_ratio"));
  EXPECT_THAT(Error(With({"--feature_cache", "--augment", "none", "--face_swap_ratio", "0.3"})),
              HasSubstr("--face_swap_ratio"));
  EXPECT_THAT(Error(With({"--epoch", "3"})), HasSubstr("unknown flag '--epoch'"));
  EXPECT_EQ(Error(With({"--seed", "-3"})), "--seed must be >= 0 (got -3)");
}

TEST(TrainConfigTest, HelpListsEveryFlagOfTheIssue) {
  std::string help;
  ASSERT_TRUE(Parse({"--help"}, &help).ok());
  for (const char* flag : {"--real_paths",     "--fake_paths",
                           "--val_real_paths", "--val_fake_paths",
                           "--val_fraction",   "--manifest",
                           "--out_dir",        "--preset",
                           "--batch_size",     "--sequence_length",
                           "--samples_per_track",
                           "--epochs",         "--learning_rate",
                           "--weight_decay",   "--early_stopping_patience",
                           "--device",         "--init",
                           "--init_partial",   "--optimizer",
                           "--scheduler",      "--grad_accum",
                           "--clip_grad_norm", "--freeze_backbone_epochs",
                           "--threads",        "--seed",
                           "--resume",         "--max_hours",
                           "--overwrite",      "--balance",
                           "--augment",        "--self_blend_ratio",
                           "--face_swap_ratio", "--feature_cache",
                           "--cache_dir",      "--workers"}) {
    EXPECT_THAT(help, HasSubstr(flag)) << flag;
  }
}

TEST(TrainConfigTest, JsonAndCommand) {
  absl::StatusOr<TrainConfig> config = Parse(With({"--preset", "tiny", "--seed", "7"}));
  ASSERT_TRUE(config.ok());
  const nlohmann::json json = TrainConfigToJson(*config);
  EXPECT_EQ(json["preset"], "tiny");
  EXPECT_EQ(json["seed"], 7);
  EXPECT_EQ(json["sequence_length"], 4);
  EXPECT_EQ(config->command,
            "train --real_paths '/r/*.mp4' --fake_paths '/f/*.mp4' --out_dir /runs/a --preset tiny "
            "--seed 7");
  const char* argv[] = {"train", "it's"};
  EXPECT_EQ(ShellCommand(2, argv), "train 'it'\\''s'");
}

}  // namespace
}  // namespace train
