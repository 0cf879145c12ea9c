// Optimizer: the base of the gradient-descent optimizers (SGD, Adam, AdamW). It holds the
// named parameters it updates, the learning rate, the step count and the per-parameter
// state tensors ("slots": momentum buffers, moment estimates), and exports/imports that
// state as safetensors tensors + metadata so that training resumes bit-exactly.
//
// The updates themselves are ops (nn/ops/optimizer_ops.h), so an optimizer runs on the
// device of its parameters: the optimizers compute scalars (bias corrections, step sizes)
// on the host and the ops update the tensors. Numerics follow PyTorch 1.13.1's
// single-tensor CPU implementations in float32 (see the ops' contract).
//
// The state slots live on the device of their parameters: they are created there, To()
// moves them (with Module::To moving the parameters, a whole training setup moves), and
// ImportState places loaded state there, as torch.optim.Optimizer.load_state_dict does.
#ifndef NN_OPTIM_OPTIMIZER_H_
#define NN_OPTIM_OPTIMIZER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "nn/io/safetensors.h"
#include "nn/module.h"
#include "nn/tensor.h"

namespace nn::optim {

// (name, parameter) pairs, as Module::NamedParameters() returns them. The names key the
// saved state, so they must be unique.
using NamedParameterList = std::vector<std::pair<std::string, Parameter*>>;

// Shared helpers for the text fields of saved state (metadata values are strings).
std::string FormatDouble(double value);  // "%.17g": parses back to the same double
absl::Status ParseDouble(const io::Metadata& metadata, const std::string& key, double* out);
absl::Status ParseInt64(const io::Metadata& metadata, const std::string& key, int64_t* out);
absl::Status GetString(const io::Metadata& metadata, const std::string& key, std::string* out);

class Optimizer {
 public:
  // Every parameter must be a float32 tensor with a gradient of its shape on its device.
  Optimizer(NamedParameterList parameters, double lr);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // "SGD", "Adam", "AdamW": recorded in saved state and checked on import.
  virtual std::string type() const = 0;

  // One update of every parameter from its current gradient. Each parameter, its gradient
  // and its state must be on one device (after Module::To, call To as well).
  void Step();
  // Sets every gradient to zero (Tensor::SetZero: any device).
  void ZeroGrad();
  // Moves the state slots (momentum buffers, moment estimates) to `device`, keeping their
  // values. The parameters belong to the model: move them with Module::To.
  void To(Device device);

  double lr() const { return lr_; }
  void set_lr(double lr);
  // Number of Step() calls (PyTorch's state["step"]).
  int64_t step_count() const { return step_; }
  const NamedParameterList& parameters() const { return parameters_; }
  // The state tensor `slot` ("exp_avg", "momentum_buffer") of parameter `index`.
  const Tensor& state(const std::string& slot, size_t index) const;

  // Writes the state under `prefix`: tensors "<prefix><slot>.<parameter name>", copied to
  // the CPU (only once a step has been taken, as PyTorch's state is empty before), and
  // metadata "<prefix>type", "<prefix>lr", "<prefix>step" and one entry per hyperparameter
  // ("<prefix>momentum").
  void ExportState(const std::string& prefix, io::TensorMap* tensors, io::Metadata* metadata) const;
  // Checks state written by ExportState against this optimizer without changing it: same
  // type and hyperparameters, every state tensor present with its parameter's shape, no
  // tensor under `prefix` that this optimizer does not have. The message lists every
  // problem.
  absl::Status CheckState(const std::string& prefix, const io::TensorMap& tensors,
                          const io::Metadata& metadata) const;
  // CheckState, then restores lr, step count and state tensors (nothing changes on error).
  // `tensors` may be on any device; each state tensor ends up on its parameter's device.
  absl::Status ImportState(const std::string& prefix, const io::TensorMap& tensors,
                           const io::Metadata& metadata);

 protected:
  // Registers a per-parameter state tensor family, zero-initialized on each parameter's
  // device; returns its index.
  int AddSlot(const std::string& name);
  Tensor& slot(int slot_index, size_t parameter_index) {
    return slots_[slot_index].second[parameter_index];
  }
  // Updates parameter `index`; step_count() already counts this step.
  virtual void UpdateParameter(size_t index, Parameter* parameter) = 0;
  // Hyperparameters other than lr, formatted for saving; compared as text on import.
  virtual io::Metadata Options() const = 0;

 private:
  NamedParameterList parameters_;
  double lr_;
  int64_t step_ = 0;
  std::vector<std::pair<std::string, std::vector<Tensor>>> slots_;
};

}  // namespace nn::optim

#endif  // NN_OPTIM_OPTIMIZER_H_
