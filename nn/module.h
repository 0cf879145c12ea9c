// Module: a unit of the model that owns parameters (with their gradients) and buffers,
// and child modules, under PyTorch's state_dict names ("layer1.0.conv1.weight",
// "bn1.running_var", "lstm.weight_hh_l0_reverse").
//
// Layers implement Forward(x) -> y and Backward(dy) -> dx, which accumulates (+=)
// parameter gradients — the op contract of nn/ops/README.md one level up.
//
// Device. A module lives on one device (device(), the CPU at construction): its
// parameters, gradients and buffers are there, and its layers allocate their outputs
// there. To(device) moves the whole module, children included.
//
// Threads. The rules, for one module and everything under it (a model):
//  - Evaluation mode: any number of threads may call Forward at the same time. An eval
//    Forward keeps nothing in the module (no cached inputs or shapes); state a module
//    computes once from its parameters for inference (ResNeXt's folded batch norms) is
//    built under a lock by whichever Forward needs it first.
//  - Training mode: Forward and Backward keep what Backward needs in the module, so they
//    run on one thread at a time, Forward then Backward. A training-mode call that starts
//    while another one is running on the same module fails with an NN_CHECK naming the
//    call ("Detector::Forward: ..."). (Calls from different threads one after the other,
//    ordered by the caller, are fine.)
//  - Everything that changes the module — Train()/Eval(), To(), writing parameters or
//    buffers (an optimizer step, loading a checkpoint) — runs while no Forward or
//    Backward is running on it, as in any single-writer design; it is not checked.
//
// Cached state. A module that caches something derived from parameters or buffers
// overrides OnStateChanged() to drop it. NotifyStateChanged() calls it on the module and
// every child; Train()/Eval(), To(), and the calls that hand out mutable access to the
// state (NamedState(), NamedParameters(), Parameters()) notify, so loaders, optimizers and
// tests that write through them need nothing else. Code that writes a parameter or buffer
// through a layer's own accessor (e.g. BatchNorm2d::running_var()) while in eval mode calls
// NotifyStateChanged() (or Eval()) before the next Forward.
#ifndef NN_MODULE_H_
#define NN_MODULE_H_

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/tensor.h"

namespace nn {

struct Parameter {
  Tensor value;
  Tensor grad;  // same shape and device as value, allocated at registration
};

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Training mode (batch statistics, dropout) vs evaluation; applies to all children.
  // Also notifies a state change (see the top of this file), even when the mode is the same.
  void Train(bool training = true);
  void Eval() { Train(false); }
  bool is_training() const { return training_; }

  // The device of this module's parameters, buffers and outputs.
  Device device() const { return device_; }
  // Moves parameters (values and gradients), buffers and children to `device` (tensors
  // already there are kept, not copied) and notifies a state change. In a build without
  // the CUDA backend, a CUDA device fails with an NN_CHECK.
  void To(Device device);

  // Parameters of this module and its children, depth first in registration order, with
  // dotted names, as PyTorch's named_parameters(). Notifies a state change.
  std::vector<std::pair<std::string, Parameter*>> NamedParameters();
  std::vector<Parameter*> Parameters();
  // Everything a state_dict holds — parameters and buffers (running statistics,
  // num_batches_tracked) — in PyTorch's state_dict order. Notifies a state change.
  std::vector<std::pair<std::string, Tensor*>> NamedState();
  void ZeroGrad();
  int64_t NumParameterElements();

  // Parameters or buffers of this module or its children may have changed (values,
  // storage or device): calls OnStateChanged() on it and every child.
  void NotifyStateChanged();

 protected:
  // `value` must be on device() (as everything a module allocates).
  Parameter* RegisterParameter(const std::string& name, Tensor value);
  Tensor* RegisterBuffer(const std::string& name, Tensor value);
  // The child takes this module's mode and device.
  template <typename M>
  M* RegisterModule(const std::string& name, std::unique_ptr<M> module) {
    M* raw = module.get();
    AddChild(name, std::move(module));
    return raw;
  }
  // Called after the mode changed, for modules that react to it.
  virtual void OnTrainingChanged() {}
  // Called by NotifyStateChanged(): drop whatever was derived from parameters or buffers.
  virtual void OnStateChanged() {}

  // Holds this module's training-call flag for its scope when the module is in training
  // mode (does nothing in eval mode): a second training-mode Forward/Backward of the same
  // module on another thread meanwhile fails with an NN_CHECK naming `call`, e.g.
  //   Tensor Conv2d::Forward(const Tensor& x) { TrainingCall guard(*this, "Conv2d::Forward");
  class TrainingCall {
   public:
    TrainingCall(Module& module, const char* call);
    ~TrainingCall();
    TrainingCall(const TrainingCall&) = delete;
    TrainingCall& operator=(const TrainingCall&) = delete;

   private:
    Module* module_ = nullptr;  // null when not held (eval mode)
  };

 private:
  void AddChild(const std::string& name, std::unique_ptr<Module> module);
  void SetTraining(bool training);  // recursive, without notifying
  void MoveTo(Device device);       // recursive, without notifying
  void CollectParameters(const std::string& prefix,
                         std::vector<std::pair<std::string, Parameter*>>* out);
  void CollectState(const std::string& prefix, std::vector<std::pair<std::string, Tensor*>>* out);

  bool training_ = true;
  Device device_ = Device::CPU();
  std::atomic<bool> training_call_running_{false};
  // unique_ptr keeps the addresses handed out by Register* stable.
  std::vector<std::pair<std::string, std::unique_ptr<Parameter>>> parameters_;
  std::vector<std::pair<std::string, std::unique_ptr<Tensor>>> buffers_;
  std::vector<std::pair<std::string, std::unique_ptr<Module>>> children_;
};

// A module with a Forward/Backward pair over one tensor (most layers).
class Layer : public Module {
 public:
  virtual Tensor Forward(const Tensor& input) = 0;
  // Returns dL/dinput and accumulates parameter gradients, for the last (training-mode)
  // Forward.
  virtual Tensor Backward(const Tensor& output_grad) = 0;
};

// Children named "0", "1", ... applied in order, as torch.nn.Sequential.
class Sequential : public Layer {
 public:
  template <typename M>
  M* Add(std::unique_ptr<M> layer) {
    M* raw = layer.get();
    layers_.push_back(raw);
    RegisterModule(std::to_string(layers_.size() - 1), std::move(layer));
    return raw;
  }
  Tensor Forward(const Tensor& input) override;
  Tensor Backward(const Tensor& output_grad) override;
  size_t size() const { return layers_.size(); }
  Layer* at(size_t i) { return layers_.at(i); }

 private:
  std::vector<Layer*> layers_;
};

}  // namespace nn

#endif  // NN_MODULE_H_
