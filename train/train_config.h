// The configuration of a training run: the flags of //train:train (the seed's names and
// defaults plus the rest of issue 11's), their checks, and their JSON form for run.json.
// Everything a run does is decided here, before any data is read.
#ifndef TRAIN_TRAIN_CONFIG_H_
#define TRAIN_TRAIN_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace train {

struct TrainConfig {
  // Data.
  std::vector<std::string> real_paths, fake_paths;          // globs, folders, lists, files
  std::vector<std::string> val_real_paths, val_fake_paths;  // given validation set
  double val_fraction = 0.15;  // held out by identity / source clip otherwise
  std::string manifest;        // DIR/manifest.json (labels, identities, splits)
  std::string cache_dir;       // face cache; "" = OUT_DIR/face_cache
  // Run.
  std::string out_dir;
  std::string preset = "default";
  int batch_size = 8;
  int sequence_length = 16;  // the preset's frame count unless given
  int samples_per_track = 1;  // times each training track is drawn per epoch
  int epochs = 50;
  double learning_rate = 1e-4;
  double weight_decay = 1e-5;
  int early_stopping_patience = 10;  // epochs without a better validation AUC; 0 = off
  // The checkpoint's threshold: 0 maximizes validation balanced accuracy; in (0, 1), the
  // lowest that flags at most this share of validation reals (eval::MaxFprThreshold).
  double threshold_max_fpr = 0;
  std::string device = "auto";
  std::string init;                   // checkpoint to start from
  bool init_partial = false;          // load what fits, report the rest
  std::string optimizer = "adam";     // adam | adamw | sgd (momentum 0.9)
  std::string scheduler = "plateau";  // plateau | cosine | step
  int lr_patience = 5;                // plateau: epochs without a lower val loss
  double lr_factor = 0.1;             // plateau / step: multiply the lr by this
  int lr_step_epochs = 10;            // step: every this many epochs
  int grad_accum = 1;                 // batches per optimizer step
  double clip_grad_norm = 0;          // 0 = off
  int freeze_backbone_epochs = 0;     // train only LSTM + head for the first N epochs
  int threads = 0;                    // 0 = every core
  int workers = 2;                    // loader threads
  uint64_t seed = 1;
  bool resume = false;
  bool overwrite = false;
  double max_hours = 0;                // 0 = no limit
  std::string balance = "oversample";  // oversample | loss_weight | none
  std::string augment = "preset";      // preset | none
  double self_blend_ratio = 0;         // share of real training clips self-blended into fakes
  double face_swap_ratio = 0;  // share of real training clips given another real clip's face
  bool temporal_jitter = true;         // with --augment preset
  bool feature_cache = false;          // frozen backbone, cached 2048-d features
  int val_batch_size = 0;              // 0 = batch_size
  // The command as typed (for run.json and the checkpoint's provenance).
  std::string command;
  // Whether --sequence_length was given (else the preset's frame count is used).
  bool sequence_length_given = false;
};

// Parses the flags (argv[0] is the program) and checks them. `help` (optional) is set and
// the config is empty when --help was given. Errors (InvalidArgument) name the flag.
absl::StatusOr<TrainConfig> ParseTrainFlags(int argc, const char* const* argv,
                                            std::string* help = nullptr);

// The checks ParseTrainFlags runs: ranges, allowed values, inputs given one way, feature
// cache vs augmentation.
absl::Status ValidateTrainConfig(const TrainConfig& config);

nlohmann::json TrainConfigToJson(const TrainConfig& config);

// argv as a shell command line (arguments quoted where needed).
std::string ShellCommand(int argc, const char* const* argv);

}  // namespace train

#endif  // TRAIN_TRAIN_CONFIG_H_
