// StepLR, CosineAnnealingLR and ReduceLROnPlateau, step by step as PyTorch 1.13.1 computes
// them (double precision, Python's operation order).
#include "nn/optim/lr_scheduler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace nn::optim {
namespace {

constexpr double kPi = 3.141592653589793;  // math.pi

}  // namespace

LRScheduler::LRScheduler(Optimizer* optimizer) : optimizer_(optimizer) {
  NN_CHECK(optimizer != nullptr) << "LRScheduler: null optimizer";
}

void LRScheduler::ExportState(const std::string& prefix, io::Metadata* metadata) const {
  (*metadata)[prefix + "type"] = type();
  (*metadata)[prefix + "last_epoch"] = absl::StrCat(last_epoch_);
  for (const auto& [key, value] : Options()) (*metadata)[prefix + key] = value;
  for (const auto& [key, value] : Counters()) (*metadata)[prefix + key] = value;
}

namespace {

io::Metadata StripPrefix(const std::string& prefix, const io::Metadata& metadata) {
  io::Metadata out;
  for (const auto& [key, value] : metadata) {
    if (key.compare(0, prefix.size(), prefix) == 0) out[key.substr(prefix.size())] = value;
  }
  return out;
}

}  // namespace

absl::Status LRScheduler::CheckState(const std::string& prefix,
                                     const io::Metadata& metadata) const {
  std::string saved_type;
  if (absl::Status s = GetString(metadata, prefix + "type", &saved_type); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("no schedule state: ", s.message()));
  }
  if (saved_type != type()) {
    return absl::InvalidArgumentError(
        absl::StrCat("schedule state is ", saved_type, ", the schedule is ", type()));
  }
  std::vector<std::string> problems;
  for (const auto& [key, value] : Options()) {
    std::string saved;
    if (absl::Status s = GetString(metadata, prefix + key, &saved); !s.ok()) {
      problems.emplace_back(s.message());
    } else if (saved != value) {
      problems.push_back(absl::StrCat(key, " was ", saved, " when saved, is ", value, " now"));
    }
  }
  int64_t last_epoch = 0;
  if (absl::Status s = ParseInt64(metadata, prefix + "last_epoch", &last_epoch); !s.ok()) {
    problems.emplace_back(s.message());
  }
  if (absl::Status s = CheckCounters(StripPrefix(prefix, metadata)); !s.ok()) {
    problems.emplace_back(s.message());
  }
  if (!problems.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(type(), " schedule state does not match: ", absl::StrJoin(problems, "; ")));
  }
  return absl::OkStatus();
}

absl::Status LRScheduler::ImportState(const std::string& prefix, const io::Metadata& metadata) {
  if (absl::Status s = CheckState(prefix, metadata); !s.ok()) return s;
  (void)ParseInt64(metadata, prefix + "last_epoch", &last_epoch_);  // checked above
  SetCounters(StripPrefix(prefix, metadata));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------
// StepLR

StepLR::StepLR(Optimizer* optimizer, int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  NN_CHECK_GT(step_size, 0) << "StepLR: step_size must be positive";
}

io::Metadata StepLR::Options() const {
  return {{"step_size", absl::StrCat(step_size_)}, {"gamma", FormatDouble(gamma_)}};
}

// Chainable form: lr_e = lr_{e-1} * gamma when e % step_size == 0, else lr_{e-1}.
void StepLR::Step() {
  ++last_epoch_;
  if (last_epoch_ % step_size_ == 0) optimizer()->set_lr(optimizer()->lr() * gamma_);
}

// ---------------------------------------------------------------------------------------
// CosineAnnealingLR

CosineAnnealingLR::CosineAnnealingLR(Optimizer* optimizer, int64_t t_max, double eta_min)
    : LRScheduler(optimizer), t_max_(t_max), eta_min_(eta_min), base_lr_(optimizer->lr()) {
  NN_CHECK_GT(t_max, 0) << "CosineAnnealingLR: T_max must be positive";
}

io::Metadata CosineAnnealingLR::Options() const {
  return {{"T_max", absl::StrCat(t_max_)}, {"eta_min", FormatDouble(eta_min_)}};
}

io::Metadata CosineAnnealingLR::Counters() const { return {{"base_lr", FormatDouble(base_lr_)}}; }

absl::Status CosineAnnealingLR::CheckCounters(const io::Metadata& counters) const {
  double base_lr = 0;
  return ParseDouble(counters, "base_lr", &base_lr);
}

void CosineAnnealingLR::SetCounters(const io::Metadata& counters) {
  (void)ParseDouble(counters, "base_lr", &base_lr_);
}

void CosineAnnealingLR::Step() {
  ++last_epoch_;
  const double e = static_cast<double>(last_epoch_);
  const double t = static_cast<double>(t_max_);
  const double lr = optimizer()->lr();
  double new_lr;
  if ((last_epoch_ - 1 - t_max_) % (2 * t_max_) == 0) {
    // Python: group['lr'] + (base_lr - eta_min) * (1 - math.cos(math.pi / T_max)) / 2
    new_lr = lr + (base_lr_ - eta_min_) * (1 - std::cos(kPi / t)) / 2;
  } else {
    // Python: (1 + cos(pi * e / T)) / (1 + cos(pi * (e - 1) / T)) * (lr - eta_min) + eta_min
    new_lr = (1 + std::cos(kPi * e / t)) / (1 + std::cos(kPi * (e - 1) / t)) * (lr - eta_min_) +
             eta_min_;
  }
  optimizer()->set_lr(new_lr);
}

// ---------------------------------------------------------------------------------------
// ReduceLROnPlateau

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer* optimizer, const ReduceLROnPlateauOptions& options)
    : LRScheduler(optimizer), options_(options) {
  NN_CHECK(options.factor < 1.0) << "ReduceLROnPlateau: factor should be < 1.0, is "
                                 << options.factor;
  NN_CHECK_GE(options.patience, 0) << "ReduceLROnPlateau: negative patience";
  NN_CHECK_GE(options.cooldown, 0) << "ReduceLROnPlateau: negative cooldown";
  NN_CHECK(options.min_lr >= 0) << "ReduceLROnPlateau: negative min_lr " << options.min_lr;
  // _reset(): best = mode_worse.
  best_ = options.mode == ReduceLROnPlateauOptions::Mode::kMin
              ? std::numeric_limits<double>::infinity()
              : -std::numeric_limits<double>::infinity();
}

io::Metadata ReduceLROnPlateau::Options() const {
  using Opt = ReduceLROnPlateauOptions;
  return {{"mode", options_.mode == Opt::Mode::kMin ? "min" : "max"},
          {"factor", FormatDouble(options_.factor)},
          {"patience", absl::StrCat(options_.patience)},
          {"threshold", FormatDouble(options_.threshold)},
          {"threshold_mode", options_.threshold_mode == Opt::ThresholdMode::kRel ? "rel" : "abs"},
          {"cooldown", absl::StrCat(options_.cooldown)},
          {"min_lr", FormatDouble(options_.min_lr)},
          {"eps", FormatDouble(options_.eps)}};
}

io::Metadata ReduceLROnPlateau::Counters() const {
  return {{"best", FormatDouble(best_)},
          {"num_bad_epochs", absl::StrCat(num_bad_epochs_)},
          {"cooldown_counter", absl::StrCat(cooldown_counter_)}};
}

namespace {

struct PlateauCounters {
  double best = 0;
  int64_t num_bad_epochs = 0;
  int64_t cooldown_counter = 0;
};

absl::Status ParsePlateauCounters(const io::Metadata& counters, PlateauCounters* out) {
  if (absl::Status s = ParseDouble(counters, "best", &out->best); !s.ok()) return s;
  if (absl::Status s = ParseInt64(counters, "num_bad_epochs", &out->num_bad_epochs); !s.ok()) {
    return s;
  }
  if (absl::Status s = ParseInt64(counters, "cooldown_counter", &out->cooldown_counter); !s.ok()) {
    return s;
  }
  if (out->num_bad_epochs < 0 || out->cooldown_counter < 0) {
    return absl::InvalidArgumentError("negative num_bad_epochs or cooldown_counter");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ReduceLROnPlateau::CheckCounters(const io::Metadata& counters) const {
  PlateauCounters parsed;
  return ParsePlateauCounters(counters, &parsed);
}

void ReduceLROnPlateau::SetCounters(const io::Metadata& counters) {
  PlateauCounters parsed;
  (void)ParsePlateauCounters(counters, &parsed);  // checked by CheckCounters
  best_ = parsed.best;
  num_bad_epochs_ = parsed.num_bad_epochs;
  cooldown_counter_ = parsed.cooldown_counter;
}

bool ReduceLROnPlateau::IsBetter(double a, double best) const {
  using Opt = ReduceLROnPlateauOptions;
  const bool rel = options_.threshold_mode == Opt::ThresholdMode::kRel;
  if (options_.mode == Opt::Mode::kMin) {
    return rel ? a < best * (1. - options_.threshold) : a < best - options_.threshold;
  }
  return rel ? a > best * (options_.threshold + 1.) : a > best + options_.threshold;
}

void ReduceLROnPlateau::Step(double metric) {
  ++last_epoch_;
  if (IsBetter(metric, best_)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {  // in cooldown: bad epochs are ignored
    --cooldown_counter_;
    num_bad_epochs_ = 0;
  }
  if (num_bad_epochs_ > options_.patience) {
    const double old_lr = optimizer()->lr();
    const double new_lr = std::max(old_lr * options_.factor, options_.min_lr);
    if (old_lr - new_lr > options_.eps) optimizer()->set_lr(new_lr);
    cooldown_counter_ = options_.cooldown;
    num_bad_epochs_ = 0;
  }
}

}  // namespace nn::optim
