// Module registration and traversal in PyTorch's order.
#include "nn/module.h"

namespace nn {

void Module::Train(bool training) {
  const bool changed = training != training_;
  training_ = training;
  for (auto& [name, child] : children_) child->Train(training);
  if (changed) OnTrainingChanged();
}

Parameter* Module::RegisterParameter(const std::string& name, Tensor value) {
  for (const auto& entry : parameters_) NN_CHECK(entry.first != name) << "duplicate " << name;
  auto parameter = std::make_unique<Parameter>();
  parameter->grad = Tensor::Zeros(value.shape());
  parameter->value = std::move(value);
  parameters_.emplace_back(name, std::move(parameter));
  return parameters_.back().second.get();
}

Tensor* Module::RegisterBuffer(const std::string& name, Tensor value) {
  for (const auto& entry : buffers_) NN_CHECK(entry.first != name) << "duplicate " << name;
  buffers_.emplace_back(name, std::make_unique<Tensor>(std::move(value)));
  return buffers_.back().second.get();
}

void Module::AddChild(const std::string& name, std::unique_ptr<Module> module) {
  for (const auto& entry : children_) NN_CHECK(entry.first != name) << "duplicate " << name;
  module->Train(training_);
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
