// Module: a unit of the model that owns parameters (with their gradients) and buffers,
// and child modules, under PyTorch's state_dict names ("layer1.0.conv1.weight",
// "bn1.running_var", "lstm.weight_hh_l0_reverse").
//
// Layers implement Forward(x) -> y, which caches what their backward needs when training,
// and Backward(dy) -> dx, which accumulates (+=) parameter gradients — the op contract of
// nn/ops/README.md one level up. A module is used by one thread at a time.
#ifndef NN_MODULE_H_
#define NN_MODULE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/tensor.h"

namespace nn {

struct Parameter {
  Tensor value;
  Tensor grad;  // same shape as value, allocated at registration
};

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Training mode (batch statistics, dropout) vs evaluation; applies to all children.
  void Train(bool training = true);
  void Eval() { Train(false); }
  bool is_training() const { return training_; }

  // Parameters of this module and its children, depth first in registration order, with
  // dotted names, as PyTorch's named_parameters().
  std::vector<std::pair<std::string, Parameter*>> NamedParameters();
  std::vector<Parameter*> Parameters();
  // Everything a state_dict holds — parameters and buffers (running statistics,
  // num_batches_tracked) — in PyTorch's state_dict order.
  std::vector<std::pair<std::string, Tensor*>> NamedState();
  void ZeroGrad();
  int64_t NumParameterElements();

 protected:
  Parameter* RegisterParameter(const std::string& name, Tensor value);
  Tensor* RegisterBuffer(const std::string& name, Tensor value);
  template <typename M>
  M* RegisterModule(const std::string& name, std::unique_ptr<M> module) {
    M* raw = module.get();
    AddChild(name, std::move(module));
    return raw;
  }
  // Called after the mode changed, for modules that react to it.
  virtual void OnTrainingChanged() {}

 private:
  void AddChild(const std::string& name, std::unique_ptr<Module> module);
  void CollectParameters(const std::string& prefix,
                         std::vector<std::pair<std::string, Parameter*>>* out);
  void CollectState(const std::string& prefix, std::vector<std::pair<std::string, Tensor*>>* out);

  bool training_ = true;
  // unique_ptr keeps the addresses handed out by Register* stable.
  std::vector<std::pair<std::string, std::unique_ptr<Parameter>>> parameters_;
  std::vector<std::pair<std::string, std::unique_ptr<Tensor>>> buffers_;
  std::vector<std::pair<std::string, std::unique_ptr<Module>>> children_;
};

// A module with a Forward/Backward pair over one tensor (most layers).
class Layer : public Module {
 public:
  virtual Tensor Forward(const Tensor& input) = 0;
  // Returns dL/dinput and accumulates parameter gradients, for the last Forward.
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
