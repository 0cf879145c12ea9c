// Optimizer base: parameter bookkeeping, state slots and state export/import.
#include "nn/optim/optimizer.h"

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace nn::optim {
namespace {

std::string JoinList(const std::vector<std::string>& items) {
  return absl::StrCat(items.size(), " (", absl::StrJoin(items, ", "), ")");
}

}  // namespace

std::string FormatDouble(double value) { return absl::StrFormat("%.17g", value); }

absl::Status GetString(const io::Metadata& metadata, const std::string& key, std::string* out) {
  auto it = metadata.find(key);
  if (it == metadata.end())
    return absl::NotFoundError(absl::StrCat("missing metadata '", key, "'"));
  *out = it->second;
  return absl::OkStatus();
}

absl::Status ParseDouble(const io::Metadata& metadata, const std::string& key, double* out) {
  std::string text;
  if (absl::Status s = GetString(metadata, key, &text); !s.ok()) return s;
  if (!absl::SimpleAtod(text, out)) {
    return absl::InvalidArgumentError(
        absl::StrCat("metadata '", key, "' = '", text, "' is not a number"));
  }
  return absl::OkStatus();
}

absl::Status ParseInt64(const io::Metadata& metadata, const std::string& key, int64_t* out) {
  std::string text;
  if (absl::Status s = GetString(metadata, key, &text); !s.ok()) return s;
  if (!absl::SimpleAtoi(text, out)) {
    return absl::InvalidArgumentError(
        absl::StrCat("metadata '", key, "' = '", text, "' is not an integer"));
  }
  return absl::OkStatus();
}

Optimizer::Optimizer(NamedParameterList parameters, double lr)
    : parameters_(std::move(parameters)), lr_(lr) {
  NN_CHECK(lr >= 0) << "optimizer: invalid learning rate " << lr;
  std::set<std::string> names;
  for (const auto& [name, parameter] : parameters_) {
    NN_CHECK(parameter != nullptr) << "optimizer: parameter " << name << " is null";
    NN_CHECK(names.insert(name).second) << "optimizer: duplicate parameter name " << name;
    const Tensor& value = parameter->value;
    NN_CHECK(value.defined() && value.dtype() == DType::kFloat32)
        << "optimizer: " << name << " must be a float32 tensor, is " << value;
    NN_CHECK(parameter->grad.defined() && parameter->grad.shape() == value.shape() &&
             parameter->grad.dtype() == DType::kFloat32 &&
             parameter->grad.device() == value.device())
        << "optimizer: gradient of " << name << " is " << parameter->grad << ", value " << value;
  }
}

void Optimizer::set_lr(double lr) {
  NN_CHECK(lr >= 0) << "optimizer: invalid learning rate " << lr;
  lr_ = lr;
}

int Optimizer::AddSlot(const std::string& name) {
  std::vector<Tensor> tensors;
  tensors.reserve(parameters_.size());
  for (const auto& entry : parameters_) {
    const Tensor& value = entry.second->value;
    tensors.push_back(Tensor::Zeros(value.shape(), DType::kFloat32, value.device()));
  }
  slots_.emplace_back(name, std::move(tensors));
  return static_cast<int>(slots_.size()) - 1;
}

const Tensor& Optimizer::state(const std::string& slot, size_t index) const {
  NN_CHECK_LT(index, parameters_.size());
  for (const auto& [name, tensors] : slots_) {
    if (name == slot) return tensors[index];
  }
  NN_CHECK(false) << type() << " has no state '" << slot << "'";
  return slots_.front().second.front();  // not reached
}

void Optimizer::Step() {
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const auto& [name, parameter] = parameters_[i];
    for (const auto& [slot, values] : slots_) {
      NN_CHECK(values[i].device() == parameter->value.device())
          << type() << ": state " << slot << " of " << name << " is on " << values[i].device()
          << ", the parameter on " << parameter->value.device()
          << ": move the optimizer with To() after moving the model";
    }
  }
  ++step_;
  for (size_t i = 0; i < parameters_.size(); ++i) UpdateParameter(i, parameters_[i].second);
}

void Optimizer::ZeroGrad() {
  for (auto& entry : parameters_) entry.second->grad.SetZero();
}

void Optimizer::To(Device device) {
#if !NN_HAVE_CUDA
  NN_CHECK(device.is_cpu()) << type() << " optimizer: cannot move to " << device
                            << ": this build has no CUDA backend (build with --config=cuda)";
#endif
  for (auto& [slot, values] : slots_) {
    for (Tensor& value : values) {
      if (value.device() != device) value = value.To(device);
    }
  }
}

void Optimizer::ExportState(const std::string& prefix, io::TensorMap* tensors,
                            io::Metadata* metadata) const {
  (*metadata)[prefix + "type"] = type();
  (*metadata)[prefix + "lr"] = FormatDouble(lr_);
  (*metadata)[prefix + "step"] = absl::StrCat(step_);
  for (const auto& [key, value] : Options()) (*metadata)[prefix + key] = value;
  if (step_ == 0) return;
  for (const auto& [slot, values] : slots_) {
    for (size_t i = 0; i < parameters_.size(); ++i) {
      (*tensors)[absl::StrCat(prefix, slot, ".", parameters_[i].first)] =
          values[i].To(Device::CPU());
    }
  }
}

absl::Status Optimizer::CheckState(const std::string& prefix, const io::TensorMap& tensors,
                                   const io::Metadata& metadata) const {
  std::vector<std::string> problems;
  std::string saved_type;
  if (absl::Status s = GetString(metadata, prefix + "type", &saved_type); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("no optimizer state: ", s.message()));
  }
  if (saved_type != type()) {
    return absl::InvalidArgumentError(
        absl::StrCat("optimizer state is ", saved_type, ", the optimizer is ", type()));
  }
  double lr = 0;
  int64_t step = 0;
  if (absl::Status s = ParseDouble(metadata, prefix + "lr", &lr); !s.ok()) {
    problems.emplace_back(s.message());
  } else if (!(lr >= 0)) {
    problems.push_back(absl::StrCat("learning rate ", lr, " is invalid"));
  }
  if (absl::Status s = ParseInt64(metadata, prefix + "step", &step); !s.ok()) {
    problems.emplace_back(s.message());
  } else if (step < 0) {
    problems.push_back(absl::StrCat("step count ", step, " is negative"));
  }
  for (const auto& [key, value] : Options()) {
    std::string saved;
    if (absl::Status s = GetString(metadata, prefix + key, &saved); !s.ok()) {
      problems.emplace_back(s.message());
    } else if (saved != value) {
      problems.push_back(absl::StrCat(key, " was ", saved, " when saved, is ", value, " now"));
    }
  }

  std::set<std::string> expected;
  std::vector<std::string> missing, mismatched, unexpected;
  if (step > 0) {
    for (const auto& [slot, values] : slots_) {
      for (size_t i = 0; i < parameters_.size(); ++i) {
        const std::string key = absl::StrCat(prefix, slot, ".", parameters_[i].first);
        expected.insert(key);
        auto it = tensors.find(key);
        if (it == tensors.end()) {
          missing.push_back(key);
        } else if (it->second.shape() != values[i].shape() ||
                   it->second.dtype() != DType::kFloat32) {
          mismatched.push_back(absl::StrCat(key, ": expected ", values[i].shape().ToString(),
                                            " vs found ", it->second.DebugString()));
        }
      }
    }
  }
  for (const auto& [key, tensor] : tensors) {
    if (key.compare(0, prefix.size(), prefix) == 0 && expected.count(key) == 0) {
      unexpected.push_back(key);
    }
  }
  if (!missing.empty()) problems.push_back("missing " + JoinList(missing));
  if (!unexpected.empty()) problems.push_back("unexpected " + JoinList(unexpected));
  if (!mismatched.empty()) problems.push_back("mismatched " + JoinList(mismatched));
  if (!problems.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(type(), " optimizer state does not match: ", absl::StrJoin(problems, "; ")));
  }
  return absl::OkStatus();
}

absl::Status Optimizer::ImportState(const std::string& prefix, const io::TensorMap& tensors,
                                    const io::Metadata& metadata) {
  if (absl::Status s = CheckState(prefix, tensors, metadata); !s.ok()) return s;
  double lr = 0;
  int64_t step = 0;
  // Both parsed successfully in CheckState.
  (void)ParseDouble(metadata, prefix + "lr", &lr);
  (void)ParseInt64(metadata, prefix + "step", &step);
  lr_ = lr;
  step_ = step;
  for (auto& [slot, values] : slots_) {
    for (size_t i = 0; i < parameters_.size(); ++i) {
      const Device device = parameters_[i].second->value.device();
      if (values[i].device() != device) {
        values[i] = Tensor::Empty(values[i].shape(), DType::kFloat32, device);
      }
      if (step == 0) {
        values[i].SetZero();
      } else {
        values[i].CopyFrom(tensors.at(absl::StrCat(prefix, slot, ".", parameters_[i].first)));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace nn::optim
