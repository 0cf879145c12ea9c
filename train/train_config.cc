// Flags of //train:train -> TrainConfig, with their checks.
#include "train/train_config.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "nn/models/presets.h"
#include "serve/cli/flags.h"

namespace train {
namespace {

absl::Status Bad(const std::string& message) { return absl::InvalidArgumentError(message); }

absl::Status OneOf(const std::string& flag, const std::string& value,
                   const std::vector<std::string>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return absl::OkStatus();
  return Bad(
      absl::StrCat("--", flag, ": '", value, "' is not one of ", absl::StrJoin(allowed, ", ")));
}

bool NeedsQuoting(const std::string& arg) {
  if (arg.empty()) return true;
  for (char c : arg) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) ||
          std::string("-_./=:,+@%").find(c) != std::string::npos)) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string ShellCommand(int argc, const char* const* argv) {
  std::string command;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (NeedsQuoting(arg)) {
      std::string quoted = "'";
      for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
      arg = quoted + "'";
    }
    absl::StrAppend(&command, i > 0 ? " " : "", arg);
  }
  return command;
}

absl::Status ValidateTrainConfig(const TrainConfig& c) {
  const bool paths = !c.real_paths.empty() || !c.fake_paths.empty();
  if (c.manifest.empty() && !paths) {
    return Bad("no training data: give --real_paths and --fake_paths, or --manifest");
  }
  if (!c.manifest.empty() && paths) {
    return Bad("give either --manifest or --real_paths/--fake_paths, not both");
  }
  if (paths && (c.real_paths.empty() || c.fake_paths.empty())) {
    return Bad(c.real_paths.empty() ? "--real_paths is missing (both classes are needed)"
                                    : "--fake_paths is missing (both classes are needed)");
  }
  if (c.val_real_paths.empty() != c.val_fake_paths.empty()) {
    return Bad("give both --val_real_paths and --val_fake_paths, or neither");
  }
  if (!c.val_real_paths.empty() && !c.manifest.empty()) {
    return Bad(
        "--val_real_paths/--val_fake_paths do not combine with --manifest (its splits are used)");
  }
  if (!(c.val_fraction > 0 && c.val_fraction < 1)) {
    return Bad(absl::StrCat("--val_fraction must be in (0, 1) (got ", c.val_fraction, ")"));
  }
  if (c.out_dir.empty()) return Bad("missing required flag --out_dir");
  if (c.batch_size < 1)
    return Bad(absl::StrCat("--batch_size must be >= 1 (got ", c.batch_size, ")"));
  if (c.sequence_length < 1) {
    return Bad(absl::StrCat("--sequence_length must be >= 1 (got ", c.sequence_length, ")"));
  }
  if (c.samples_per_track < 1) {
    return Bad(absl::StrCat("--samples_per_track must be >= 1 (got ", c.samples_per_track, ")"));
  }
  if (c.epochs < 1) return Bad(absl::StrCat("--epochs must be >= 1 (got ", c.epochs, ")"));
  if (!(c.learning_rate > 0) || !std::isfinite(c.learning_rate)) {
    return Bad(absl::StrCat("--learning_rate must be > 0 (got ", c.learning_rate, ")"));
  }
  if (!(c.weight_decay >= 0)) {
    return Bad(absl::StrCat("--weight_decay must be >= 0 (got ", c.weight_decay, ")"));
  }
  if (!(c.threshold_max_fpr >= 0 && c.threshold_max_fpr < 1)) {
    return Bad(absl::StrCat("--threshold_max_fpr must be in [0, 1) (got ", c.threshold_max_fpr,
                            "; 0 keeps the balanced-accuracy threshold)"));
  }
  if (c.early_stopping_patience < 0) {
    return Bad(absl::StrCat("--early_stopping_patience must be >= 0 (got ",
                            c.early_stopping_patience, "; 0 turns early stopping off)"));
  }
  if (c.lr_patience < 0)
    return Bad(absl::StrCat("--lr_patience must be >= 0 (got ", c.lr_patience, ")"));
  if (!(c.lr_factor > 0 && c.lr_factor < 1)) {
    return Bad(absl::StrCat("--lr_factor must be in (0, 1) (got ", c.lr_factor, ")"));
  }
  if (c.lr_step_epochs < 1) {
    return Bad(absl::StrCat("--lr_step_epochs must be >= 1 (got ", c.lr_step_epochs, ")"));
  }
  if (c.grad_accum < 1)
    return Bad(absl::StrCat("--grad_accum must be >= 1 (got ", c.grad_accum, ")"));
  if (!(c.clip_grad_norm >= 0)) {
    return Bad(absl::StrCat("--clip_grad_norm must be >= 0 (got ", c.clip_grad_norm, "; 0 = off)"));
  }
  if (c.freeze_backbone_epochs < 0) {
    return Bad(
        absl::StrCat("--freeze_backbone_epochs must be >= 0 (got ", c.freeze_backbone_epochs, ")"));
  }
  if (c.threads < 0) return Bad(absl::StrCat("--threads must be >= 0 (got ", c.threads, ")"));
  if (c.workers < 1) return Bad(absl::StrCat("--workers must be >= 1 (got ", c.workers, ")"));
  if (!(c.max_hours >= 0))
    return Bad(absl::StrCat("--max_hours must be >= 0 (got ", c.max_hours, ")"));
  if (!(c.self_blend_ratio >= 0 && c.self_blend_ratio <= 1)) {
    return Bad(absl::StrCat("--self_blend_ratio must be in [0, 1] (got ", c.self_blend_ratio, ")"));
  }
  if (!(c.face_swap_ratio >= 0 && c.face_swap_ratio <= 1)) {
    return Bad(absl::StrCat("--face_swap_ratio must be in [0, 1] (got ", c.face_swap_ratio, ")"));
  }
  if (!(c.self_blend_ratio + c.face_swap_ratio <= 1)) {
    return Bad(absl::StrCat("--self_blend_ratio + --face_swap_ratio must be at most 1 (got ",
                            c.self_blend_ratio, " + ", c.face_swap_ratio, ")"));
  }
  if (c.val_batch_size < 0) {
    return Bad(absl::StrCat("--val_batch_size must be >= 0 (got ", c.val_batch_size, ")"));
  }
  if (c.resume && c.overwrite) return Bad("--resume and --overwrite exclude each other");
  RETURN_IF_ERROR(OneOf("optimizer", c.optimizer, {"adam", "adamw", "sgd"}));
  RETURN_IF_ERROR(OneOf("scheduler", c.scheduler, {"plateau", "cosine", "step"}));
  RETURN_IF_ERROR(OneOf("balance", c.balance, {"oversample", "loss_weight", "none"}));
  RETURN_IF_ERROR(OneOf("augment", c.augment, {"preset", "none"}));
  RETURN_IF_ERROR(OneOf("device", c.device, {"auto", "cpu", "cuda"}));
  if (!nn::GetPreset(c.preset).ok()) {
    return Bad(absl::StrCat("--preset: ", nn::GetPreset(c.preset).status().message()));
  }
  if (c.feature_cache) {
    // Features are computed once: per-epoch changes of the frames cannot reach them.
    if (c.augment != "none") {
      return Bad(
          "--feature_cache computes each frame's features once, so augmentation cannot "
          "apply: add --augment none");
    }
    if (c.self_blend_ratio > 0 || c.face_swap_ratio > 0) {
      return Bad(
          "--feature_cache does not combine with --self_blend_ratio or --face_swap_ratio "
          "(online fakes are made per epoch from frames)");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<TrainConfig> ParseTrainFlags(int argc, const char* const* argv, std::string* help) {
  TrainConfig c;
  bool show_help = false;
  int64_t seed_flag = static_cast<int64_t>(c.seed);
  serve::cli::FlagSet flags;
  flags.SetGroup("Data");
  flags.StringList("real_paths", &c.real_paths,
                   "real videos: globs ('data/real/*.mp4'), folders (searched recursively), "
                   ".txt/.lst lists (one path per line) or files");
  flags.StringList("fake_paths", &c.fake_paths, "fake videos, as --real_paths");
  flags.StringList("val_real_paths", &c.val_real_paths,
                   "validation real videos (else --val_fraction is held out)");
  flags.StringList("val_fake_paths", &c.val_fake_paths, "validation fake videos");
  flags.Double("val_fraction", &c.val_fraction,
               "share held out for validation, by identity where known, else by source clip "
               "(never by frame)");
  flags.Path("manifest", &c.manifest,
             "DIR/manifest.json from //tools:synth: labels, identities and splits from it");
  flags.Path("cache_dir", &c.cache_dir,
             "face cache folder (default OUT_DIR/face_cache; share one across runs)");
  flags.SetGroup("Run");
  flags.Path("out_dir", &c.out_dir,
             "run folder: checkpoints, metrics.jsonl/csv, curves.png, roc.png, run.json");
  flags.String("preset", &c.preset,
               absl::StrCat("model preset (", absl::StrJoin(nn::PresetNames(), ", "), ")"));
  flags.Int("batch_size", &c.batch_size, "clips per batch");
  flags.Int("sequence_length", &c.sequence_length,
            "frames per training clip (default: the preset's; 16 for default). Fewer "
            "(1: a frame classifier) train on shorter clips; the model still scores and is "
            "validated on the preset's count");
  flags.Int("samples_per_track", &c.samples_per_track,
            "times each training face track is drawn per epoch, each with its own frames, "
            "augmentation and self-blend draw (frame-level training: --sequence_length 1 "
            "--samples_per_track 16)");
  flags.Int("epochs", &c.epochs, "epochs at most");
  flags.Double("learning_rate", &c.learning_rate, "initial learning rate");
  flags.Double("weight_decay", &c.weight_decay,
               "weight decay (L2 for adam/sgd, decoupled for adamw)");
  flags.Int("early_stopping_patience", &c.early_stopping_patience,
            "stop after this many epochs without a better validation AUC (0 = never)");
  flags.Double("threshold_max_fpr", &c.threshold_max_fpr,
               "the threshold stored in checkpoints: 0 (default) the one that maximizes "
               "validation balanced accuracy; in (0, 1) the lowest that flags at most this "
               "share of validation real videos (e.g. 0.1: at most 10% false alarms)");
  flags.String("device", &c.device,
               "cpu, cuda, or auto (CUDA when compiled in and a GPU is present, else the CPU)");
  flags.Path("init", &c.init,
             "checkpoint to start from (e.g. converted ImageNet weights); must fit the preset "
             "unless --init_partial");
  flags.Bool("init_partial", &c.init_partial,
             "with --init: load the tensors that fit, report what was loaded and what not");
  flags.String("optimizer", &c.optimizer, "adam, adamw or sgd (momentum 0.9)");
  flags.String("scheduler", &c.scheduler,
               "plateau (ReduceLROnPlateau on validation loss), cosine, or step");
  flags.Int("lr_patience", &c.lr_patience, "plateau: epochs without improvement before reducing");
  flags.Double("lr_factor", &c.lr_factor, "plateau and step: the factor the lr is multiplied by");
  flags.Int("lr_step_epochs", &c.lr_step_epochs, "step: reduce every this many epochs");
  flags.Int("grad_accum", &c.grad_accum, "batches accumulated per optimizer step");
  flags.Double("clip_grad_norm", &c.clip_grad_norm, "clip the gradient norm to this (0 = off)");
  flags.Int("freeze_backbone_epochs", &c.freeze_backbone_epochs,
            "train only the LSTM and head (backbone frozen, in eval mode) for the first N epochs");
  flags.Int("threads", &c.threads, "CPU threads for the model (0 = every core)");
  flags.Int("workers", &c.workers, "data loader threads");
  flags.Int64("seed", &seed_flag, "random seed: same seed and threads, same result");
  flags.Bool("resume", &c.resume, "continue the run in --out_dir from its last completed epoch");
  flags.Bool("overwrite", &c.overwrite, "replace a run already in --out_dir");
  flags.Double("max_hours", &c.max_hours,
               "stop after the epoch that would exceed this many hours (0 = no limit)");
  flags.SetGroup("Sampling and augmentation");
  flags.String("balance", &c.balance,
               "oversample (each epoch half real, half fake), loss_weight (BCE pos_weight = "
               "real/fake), or none");
  flags.String("augment", &c.augment, "preset (the preset's augmentations) or none");
  flags.Double("self_blend_ratio", &c.self_blend_ratio,
               "probability that a real training clip is self-blended into a fake (SBI)");
  flags.Double("face_swap_ratio", &c.face_swap_ratio,
               "probability that a real training clip becomes a landmark face swap of another "
               "real training clip's face (a fake; at most 1 - --self_blend_ratio)");
  flags.Bool("temporal_jitter", &c.temporal_jitter,
             "with --augment preset: pick each clip's frames at random within their stretch");
  flags.Bool("feature_cache", &c.feature_cache,
             "CPU mode: freeze the backbone, compute each frame's features once and train the "
             "LSTM and head on them (needs --augment none)");
  flags.Int("val_batch_size", &c.val_batch_size, "clips per validation batch (0 = --batch_size)");
  flags.SetGroup("");
  flags.Bool("help", &show_help, "this text");

  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<std::string> positional;
  RETURN_IF_ERROR(flags.Parse(args, &positional));
  if (show_help) {
    if (help != nullptr) {
      *help = absl::StrCat(
          "Trains the deepfake detector from real and fake videos.\n\nUsage: bazel run "
          "//train:train -- --real_paths 'real/*.mp4' --fake_paths 'fake/*.mp4' --out_dir "
          "runs/NAME [flags]\n\n",
          flags.Help());
    }
    return TrainConfig();
  }
  if (!positional.empty()) {
    return Bad(absl::StrCat("unexpected argument '", positional[0],
                            "' (paths go after --real_paths / --fake_paths)"));
  }
  if (seed_flag < 0) return Bad(absl::StrCat("--seed must be >= 0 (got ", seed_flag, ")"));
  c.seed = static_cast<uint64_t>(seed_flag);
  c.sequence_length_given = flags.WasSet("sequence_length");
  if (!c.sequence_length_given) {
    absl::StatusOr<nn::ModelPreset> preset = nn::GetPreset(c.preset);
    if (preset.ok()) c.sequence_length = preset->preprocessing.frames;
  }
  for (auto* list : {&c.real_paths, &c.fake_paths, &c.val_real_paths, &c.val_fake_paths}) {
    for (std::string& path : *list) path = serve::cli::ResolveUserPath(path);
  }
  if (c.cache_dir.empty() && !c.out_dir.empty()) c.cache_dir = c.out_dir + "/face_cache";
  c.command = ShellCommand(argc, argv);
  RETURN_IF_ERROR(ValidateTrainConfig(c));
  return c;
}

nlohmann::json TrainConfigToJson(const TrainConfig& c) {
  return {
      {"real_paths", c.real_paths},
      {"fake_paths", c.fake_paths},
      {"val_real_paths", c.val_real_paths},
      {"val_fake_paths", c.val_fake_paths},
      {"val_fraction", c.val_fraction},
      {"manifest", c.manifest},
      {"cache_dir", c.cache_dir},
      {"out_dir", c.out_dir},
      {"preset", c.preset},
      {"batch_size", c.batch_size},
      {"sequence_length", c.sequence_length},
      {"samples_per_track", c.samples_per_track},
      {"epochs", c.epochs},
      {"learning_rate", c.learning_rate},
      {"weight_decay", c.weight_decay},
      {"early_stopping_patience", c.early_stopping_patience},
      {"threshold_max_fpr", c.threshold_max_fpr},
      {"device", c.device},
      {"init", c.init},
      {"init_partial", c.init_partial},
      {"optimizer", c.optimizer},
      {"scheduler", c.scheduler},
      {"lr_patience", c.lr_patience},
      {"lr_factor", c.lr_factor},
      {"lr_step_epochs", c.lr_step_epochs},
      {"grad_accum", c.grad_accum},
      {"clip_grad_norm", c.clip_grad_norm},
      {"freeze_backbone_epochs", c.freeze_backbone_epochs},
      {"threads", c.threads},
      {"workers", c.workers},
      {"seed", c.seed},
      {"resume", c.resume},
      {"overwrite", c.overwrite},
      {"max_hours", c.max_hours},
      {"balance", c.balance},
      {"augment", c.augment},
      {"self_blend_ratio", c.self_blend_ratio},
      {"face_swap_ratio", c.face_swap_ratio},
      {"temporal_jitter", c.temporal_jitter},
      {"feature_cache", c.feature_cache},
      {"val_batch_size", c.val_batch_size},
  };
}

}  // namespace train
