// Module registration and traversal in PyTorch's order, device moves, state-change
// notification and the training-call guard.
#include "nn/module.h"

namespace nn {

void Module::Train(bool training) {
  SetTraining(training);
  NotifyStateChanged();
}

void Module::SetTraining(bool training) {
  const bool changed = training != training_;
  training_ = training;
  for (auto& [name, child] : children_) child->SetTraining(training);
  if (changed) OnTrainingChanged();
}

void Module::To(Device device) {
#if !NN_HAVE_CUDA
  NN_CHECK(!device.is_cuda()) << "Module::To(" << device
                              << "): this build has no CUDA backend (build with --config=cuda)";
#endif
  MoveTo(device);
  NotifyStateChanged();
}

void Module::MoveTo(Device device) {
  auto move = [device](Tensor* t) {
    if (t->defined() && t->device() != device) *t = t->To(device);
  };
  for (auto& [name, parameter] : parameters_) {
    move(&parameter->value);
    move(&parameter->grad);
  }
  for (auto& [name, buffer] : buffers_) move(buffer.get());
  device_ = device;
  for (auto& [name, child] : children_) child->MoveTo(device);
}

void Module::NotifyStateChanged() {
  OnStateChanged();
  for (auto& [name, child] : children_) child->NotifyStateChanged();
}

Parameter* Module::RegisterParameter(const std::string& name, Tensor value) {
  for (const auto& entry : parameters_) NN_CHECK(entry.first != name) << "duplicate " << name;
  NN_CHECK(value.device() == device_)
      << "parameter " << name << " is on " << value.device() << ", the module on " << device_;
  auto parameter = std::make_unique<Parameter>();
  parameter->grad = Tensor::Zeros(value.shape(), value.dtype(), value.device());
  parameter->value = std::move(value);
  parameters_.emplace_back(name, std::move(parameter));
  return parameters_.back().second.get();
}

Tensor* Module::RegisterBuffer(const std::string& name, Tensor value) {
  for (const auto& entry : buffers_) NN_CHECK(entry.first != name) << "duplicate " << name;
  NN_CHECK(value.device() == device_)
      << "buffer " << name << " is on " << value.device() << ", the module on " << device_;
  buffers_.emplace_back(name, std::make_unique<Tensor>(std::move(value)));
  return buffers_.back().second.get();
}

void Module::AddChild(const std::string& name, std::unique_ptr<Module> module) {
  for (const auto& entry : children_) NN_CHECK(entry.first != name) << "duplicate " << name;
  module->SetTraining(training_);
  if (module->device() != device_) module->MoveTo(device_);
  module->NotifyStateChanged();
  children_.emplace_back(name, std::move(module));
}

void Module::CollectParameters(const std::string& prefix,
                               std::vector<std::pair<std::string, Parameter*>>* out) {
  for (auto& [name, parameter] : parameters_) out->emplace_back(prefix + name, parameter.get());
  for (auto& [name, child] : children_) child->CollectParameters(prefix + name + ".", out);
}

void Module::CollectState(const std::string& prefix,
                          std::vector<std::pair<std::string, Tensor*>>* out) {
  // torch.nn.Module.state_dict: own parameters, own buffers, then each child.
  for (auto& [name, parameter] : parameters_) out->emplace_back(prefix + name, &parameter->value);
  for (auto& [name, buffer] : buffers_) out->emplace_back(prefix + name, buffer.get());
  for (auto& [name, child] : children_) child->CollectState(prefix + name + ".", out);
}

std::vector<std::pair<std::string, Parameter*>> Module::NamedParameters() {
  std::vector<std::pair<std::string, Parameter*>> out;
  CollectParameters("", &out);
  NotifyStateChanged();  // the caller may write through the pointers
  return out;
}

std::vector<Parameter*> Module::Parameters() {
  std::vector<Parameter*> out;
  for (auto& [name, parameter] : NamedParameters()) out.push_back(parameter);
  return out;
}

std::vector<std::pair<std::string, Tensor*>> Module::NamedState() {
  std::vector<std::pair<std::string, Tensor*>> out;
  CollectState("", &out);
  NotifyStateChanged();  // the caller may write through the pointers
  return out;
}

void Module::ZeroGrad() {
  for (Parameter* parameter : Parameters()) parameter->grad.SetZero();
}

int64_t Module::NumParameterElements() {
  int64_t n = 0;
  for (Parameter* parameter : Parameters()) n += parameter->value.numel();
  return n;
}

Module::TrainingCall::TrainingCall(Module& module, const char* call) {
  if (!module.is_training()) return;
  const bool already_running = module.training_call_running_.exchange(true);
  NN_CHECK(!already_running)
      << call << ": another training-mode Forward/Backward of this module is running on another "
      << "thread; training-mode calls must not overlap (only eval-mode Forward may run "
      << "concurrently, see nn/module.h)";
  module_ = &module;
}

Module::TrainingCall::~TrainingCall() {
  if (module_ != nullptr) module_->training_call_running_.store(false);
}

Tensor Sequential::Forward(const Tensor& input) {
  Tensor x = input;
  for (Layer* layer : layers_) x = layer->Forward(x);
  return x;
}

Tensor Sequential::Backward(const Tensor& output_grad) {
  Tensor grad = output_grad;
  for (auto it = layers_.rbegin(); it != layers_.rend(); ++it) grad = (*it)->Backward(grad);
  return grad;
}

}  // namespace nn
