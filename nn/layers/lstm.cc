// LSTM layer.
#include "nn/layers/lstm.h"

#include "nn/layers/init.h"

namespace nn {

Lstm::Lstm(const LstmOptions& options, uint64_t dropout_seed)
    : options_(options), dropout_seed_(dropout_seed) {
  // torch.nn.LSTM initialises every weight and bias from U(-1/sqrt(H), 1/sqrt(H)).
  std::vector<LstmDirectionWeights> shapes = LstmZeroWeights(options);
  const std::vector<std::string> names = LstmParameterNames(options);
  const std::vector<Tensor*> values = LstmParameters(options, &shapes);
  NN_CHECK_EQ(names.size(), values.size()) << "LstmParameterNames vs LstmParameters";
  for (size_t i = 0; i < names.size(); ++i) {
    parameters_.push_back(
        RegisterParameter(names[i], KaimingUniform(values[i]->shape(), options.hidden_size)));
  }
}

std::vector<LstmDirectionWeights> Lstm::Weights(bool gradients) const {
  std::vector<LstmDirectionWeights> weights(options_.num_layers * options_.num_directions());
  const std::vector<Tensor*> slots = LstmParameters(options_, &weights);
  for (size_t i = 0; i < slots.size(); ++i) {
    *slots[i] = gradients ? parameters_[i]->grad : parameters_[i]->value;
  }
  return weights;
}

Tensor Lstm::Forward(const Tensor& input) {
  TrainingCall call(*this, "Lstm::Forward");
  const int64_t t = options_.batch_first ? input.dim(1) : input.dim(0);
  const int64_t b = options_.batch_first ? input.dim(0) : input.dim(1);
  const int64_t width = options_.num_directions() * options_.hidden_size;
  Tensor output = Tensor::Empty(options_.batch_first ? Shape{b, t, width} : Shape{t, b, width},
                                DType::kFloat32, device());
  if (!is_training()) {
    LstmForward(options_, Weights(false), input, /*training=*/false, /*dropout_seed=*/0, &output,
                nullptr, nullptr, nullptr);
    return output;
  }
  const uint64_t seed = dropout_seed_ * 0x9E3779B97F4A7C15ull + (++calls_);
  LstmForward(options_, Weights(false), input, /*training=*/true, seed, &output, nullptr, nullptr,
              &cache_);
  input_ = input;
  has_cache_ = true;
  return output;
}

Tensor Lstm::Backward(const Tensor& output_grad) {
  TrainingCall call(*this, "Lstm::Backward");
  NN_CHECK(has_cache_) << "Lstm::Backward without a training-mode Forward";
  Tensor input_grad = Tensor::Zeros(input_.shape(), DType::kFloat32, device());
  std::vector<LstmDirectionWeights> grads = Weights(true);
  LstmBackward(options_, Weights(false), cache_, output_grad, &input_grad, &grads);
  OnTrainingChanged();  // drops the cache
  return input_grad;
}

Tensor Lstm::InputGradient(const Tensor& input, const Tensor& output_grad) const {
  NN_CHECK(input.rank() == 3 && input.dim(2) == options_.input_size)
      << "Lstm::InputGradient input " << input.shape() << ", expected rank 3 ending in "
      << options_.input_size;
  const int64_t t = options_.batch_first ? input.dim(1) : input.dim(0);
  const int64_t b = options_.batch_first ? input.dim(0) : input.dim(1);
  const int64_t width = options_.num_directions() * options_.hidden_size;
  Tensor output = Tensor::Empty(options_.batch_first ? Shape{b, t, width} : Shape{t, b, width},
                                DType::kFloat32, device());
  LstmCache cache;
  const std::vector<LstmDirectionWeights> weights = Weights(false);
  LstmForward(options_, weights, input, /*training=*/false, /*dropout_seed=*/0, &output, nullptr,
              nullptr, &cache);
  // dinput = BPTT of output_grad (nn/ops/lstm.h), no weight gradients.
  Tensor input_grad = Tensor::Zeros(input.shape(), DType::kFloat32, device());
  LstmBackward(options_, weights, cache, output_grad, &input_grad, nullptr);
  return input_grad;
}

void Lstm::OnTrainingChanged() {
  cache_ = LstmCache();
  input_ = Tensor();
  has_cache_ = false;
}

}  // namespace nn
