// Resumable training state: model state, optimizer state, learning-rate schedule, random
// number generator and progress counters in one safetensors file, so that a run
// interrupted after step k and resumed into freshly constructed objects continues
// bit-identically to one that was never interrupted.
//
// Layout: tensors "model.<state name>" and "optim.<slot>.<parameter name>"; metadata
// "format" = "deepfake-training-state", "format_version", "step", "epoch", "rng" and the
// optimizer's and schedule's entries under "optim." and "sched.".
#ifndef NN_IO_TRAINING_STATE_H_
#define NN_IO_TRAINING_STATE_H_

#include <cstdint>
#include <random>
#include <string>

#include "absl/status/status.h"
#include "nn/module.h"
#include "nn/optim/lr_scheduler.h"
#include "nn/optim/optimizer.h"

namespace nn::io {

struct TrainingProgress {
  int64_t step = 0;       // optimizer steps taken
  int64_t epoch = 0;      // epochs completed
  std::string rng_state;  // SerializeRng() of the training loop's generator
};

// The generator's full state as text (operator<< of std::mt19937_64), and back.
std::string SerializeRng(const std::mt19937_64& rng);
absl::Status DeserializeRng(const std::string& text, std::mt19937_64* rng);

// Writes everything atomically. `schedule` may be null (no schedule).
absl::Status SaveTrainingState(const std::string& path, Module& model,
                               const optim::Optimizer& optimizer,
                               const optim::LRScheduler* schedule,
                               const TrainingProgress& progress);

// Restores into objects constructed as for the saved run (same model architecture,
// optimizer type and hyperparameters, schedule type and options; `schedule` null exactly
// when none was saved). Everything is checked before anything changes: on error nothing is
// modified and the status names the file and every problem found.
absl::Status LoadTrainingState(const std::string& path, Module* model, optim::Optimizer* optimizer,
                               optim::LRScheduler* schedule, TrainingProgress* progress);

}  // namespace nn::io

#endif  // NN_IO_TRAINING_STATE_H_
