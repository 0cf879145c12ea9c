// The training run behind //train:train: data (dataset split, face store, loader), model
// (preset, --init, device), optimizer and schedule, the epoch loop with validation through
// eval/ (the code `deepfake evaluate` uses), checkpoints (best by validation AUC, last, and
// a resumable state), logs (metrics.jsonl, metrics.csv, run.json) and plots (curves.png,
// roc.png). Every user error is reported before training starts.
//
// Files in OUT_DIR:
//   best.safetensors   weights of the best epoch (validation video AUC, ties by lower
//                      validation loss), with the threshold chosen on validation
//   last.safetensors   weights after the last completed epoch
//   train_state.safetensors  everything --resume needs (weights, optimizer moments,
//                      schedule, dropout counters, best-so-far, history)
//   metrics.jsonl / metrics.csv  one record per epoch
//   curves.png, roc.png, val_predictions.csv, run.json
//
// Data-parallel (under mpirun, README "Training on several processes/machines"): every rank
// trains on its shard of each epoch's batches (the epoch's batch i*ranks+r), gradients are
// averaged over the ranks before each optimizer step, validation is sharded and its scores
// gathered; rank 0 alone writes OUT_DIR and prints. Batch-norm statistics are per rank (as
// PyTorch DDP without SyncBN); the running statistics kept are rank 0's.
#ifndef TRAIN_TRAINER_H_
#define TRAIN_TRAINER_H_

#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "train/distributed/communicator.h"
#include "train/train_config.h"

namespace train {

struct EpochRecord {
  int epoch = 0;  // 1-based
  double train_loss = 0, val_loss = 0;
  double lr = 0;
  double seconds = 0;            // training + validation
  double frames_per_second = 0;  // training frames (clips x frames) per second of training
  double data_wait_share = 0;    // share of training time spent waiting for batches
  bool backbone_frozen = false;
  nlohmann::json val;                             // eval::SummaryToJson of the validation set
  double val_auc = 0, val_frame_auc = 0;          // NaN when a class is missing
  double threshold = 0.5, balanced_accuracy = 0;  // chosen on validation (video level)
  bool best = false;
};
nlohmann::json EpochRecordToJson(const EpochRecord& record);
absl::StatusOr<EpochRecord> EpochRecordFromJson(const nlohmann::json& json);

struct TrainResult {
  std::vector<EpochRecord> history;  // every completed epoch, resumed ones included
  int best_epoch = 0;
  std::string stop_reason;  // "epochs", "early stopping", "max_hours"
};

// Runs (or, with config.resume, continues) the run. Progress and summaries go to `log` (on
// rank 0). `comm`: the ranks of a data-parallel run; null = distributed::WorldCommunicator()
// (MPI's world under mpirun, this process alone otherwise).
absl::StatusOr<TrainResult> RunTraining(const TrainConfig& config, std::FILE* log = stdout,
                                        distributed::Communicator* comm = nullptr);

}  // namespace train

#endif  // TRAIN_TRAINER_H_
