// Learning-rate schedules that set an Optimizer's lr, with PyTorch 1.13.1's semantics and
// floating-point order (torch.optim.lr_scheduler): StepLR and CosineAnnealingLR in their
// chainable (recursive) form, stepped once per epoch, and ReduceLROnPlateau, stepped with
// a validation metric. Each exports/imports its counters so that training resumes exactly.
#ifndef NN_OPTIM_LR_SCHEDULER_H_
#define NN_OPTIM_LR_SCHEDULER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "nn/io/safetensors.h"
#include "nn/optim/optimizer.h"

namespace nn::optim {

class LRScheduler {
 public:
  explicit LRScheduler(Optimizer* optimizer);
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  // "StepLR", "CosineAnnealingLR", "ReduceLROnPlateau".
  virtual std::string type() const = 0;
  // The optimizer's current learning rate.
  double lr() const { return optimizer_->lr(); }
  int64_t last_epoch() const { return last_epoch_; }

  // Metadata "<prefix>type", one entry per option and per counter (no tensors).
  void ExportState(const std::string& prefix, io::Metadata* metadata) const;
  // Checks that the saved schedule has this type and these options and that its counters
  // parse, without changing anything.
  absl::Status CheckState(const std::string& prefix, const io::Metadata& metadata) const;
  // CheckState, then restores the counters (the optimizer's lr is the optimizer's state).
  absl::Status ImportState(const std::string& prefix, const io::Metadata& metadata);

 protected:
  Optimizer* optimizer() { return optimizer_; }
  // Options compared as text on import.
  virtual io::Metadata Options() const = 0;
  // Counters beyond last_epoch, formatted for saving.
  virtual io::Metadata Counters() const = 0;
  // Checks the counters (unprefixed keys) parse; SetCounters applies checked counters.
  virtual absl::Status CheckCounters(const io::Metadata& counters) const = 0;
  virtual void SetCounters(const io::Metadata& counters) = 0;

  int64_t last_epoch_ = 0;

 private:
  Optimizer* optimizer_;
};

// lr = lr * gamma every step_size epochs.
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer* optimizer, int64_t step_size, double gamma = 0.1);
  std::string type() const override { return "StepLR"; }
  // Advances one epoch and sets the optimizer's lr.
  void Step();

 protected:
  io::Metadata Options() const override;
  io::Metadata Counters() const override { return {}; }
  absl::Status CheckCounters(const io::Metadata&) const override { return absl::OkStatus(); }
  void SetCounters(const io::Metadata&) override {}

 private:
  int64_t step_size_;
  double gamma_;
};

// Cosine annealing from the initial lr to eta_min over T_max epochs, recursive form:
//   lr_e = eta_min + (lr_{e-1} - eta_min) * (1 + cos(pi e / T)) / (1 + cos(pi (e-1) / T))
// and, when (e - 1 - T) % 2T == 0, lr_e = lr_{e-1} + (base_lr - eta_min)(1 - cos(pi/T)) / 2.
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer* optimizer, int64_t t_max, double eta_min = 0);
  std::string type() const override { return "CosineAnnealingLR"; }
  void Step();

 protected:
  io::Metadata Options() const override;
  io::Metadata Counters() const override;
  absl::Status CheckCounters(const io::Metadata& counters) const override;
  void SetCounters(const io::Metadata& counters) override;

 private:
  int64_t t_max_;
  double eta_min_;
  double base_lr_;  // the optimizer's lr at construction (PyTorch's initial_lr)
};

struct ReduceLROnPlateauOptions {
  enum class Mode { kMin, kMax };
  enum class ThresholdMode { kRel, kAbs };
  Mode mode = Mode::kMin;
  double factor = 0.1;    // new_lr = max(lr * factor, min_lr); must be < 1
  int64_t patience = 10;  // bad epochs tolerated before reducing
  double threshold = 1e-4;
  ThresholdMode threshold_mode = ThresholdMode::kRel;
  int64_t cooldown = 0;  // epochs after a reduction during which bad epochs are ignored
  double min_lr = 0;
  double eps = 1e-8;  // reductions smaller than eps are skipped
};

// Reduces the lr when a metric stops improving. A metric is better than the best so far
// when (min, rel) a < best * (1 - threshold); (min, abs) a < best - threshold;
// (max, rel) a > best * (1 + threshold); (max, abs) a > best + threshold.
class ReduceLROnPlateau : public LRScheduler {
 public:
  ReduceLROnPlateau(Optimizer* optimizer, const ReduceLROnPlateauOptions& options);
  std::string type() const override { return "ReduceLROnPlateau"; }
  // One epoch with validation metric `metric`.
  void Step(double metric);

  double best() const { return best_; }
  int64_t num_bad_epochs() const { return num_bad_epochs_; }
  int64_t cooldown_counter() const { return cooldown_counter_; }

 protected:
  io::Metadata Options() const override;
  io::Metadata Counters() const override;
  absl::Status CheckCounters(const io::Metadata& counters) const override;
  void SetCounters(const io::Metadata& counters) override;

 private:
  bool IsBetter(double a, double best) const;

  ReduceLROnPlateauOptions options_;
  double best_;
  int64_t num_bad_epochs_ = 0;
  int64_t cooldown_counter_ = 0;
};

}  // namespace nn::optim

#endif  // NN_OPTIM_LR_SCHEDULER_H_
