// LSTM layer.
#include "nn/layers/lstm.h"

#include "nn/layers/init.h"

namespace nn {

Lstm::Lstm(const LstmOptions& options, uint64_t dropout_seed)
    : options_(options), dropout_seed_(dropout_seed) {
  // torch.nn.LSTM initialises every weight and bias from U(-1/sqrt(H), 1/sqrt(H)).
  weights_ = LstmZeroWeights(options);
  grads_ = LstmZeroWeights(options);
  const std::vector<std::string> names = LstmParameterNames(options);
  const std::vector<Tensor*> values = LstmParameters(options, &weights_);
  const std::vector<Tensor*> grads = LstmParameters(options, &grads_);
  NN_CHECK_EQ(names.size(), values.size()) << "LstmParameterNames vs LstmParameters";
  for (size_t i = 0; i < names.size(); ++i) {
    Parameter* p = RegisterParameter(names[i], KaimingUniform(values[i]->shape(), options.hidden_size));
    *values[i] = p->value;  // share storage: the op reads the registered parameter
    *grads[i] = p->grad;
  }
}

Tensor Lstm::Forward(const Tensor& input) {
  const int64_t t = options_.batch_first ? input.dim(1) : input.dim(0);
  const int64_t b = options_.batch_first ? input.dim(0) : input.dim(1);
  const int64_t width = options_.num_directions() * options_.hidden_size;
  Tensor output = Tensor::Empty(options_.batch_first ? Shape{b, t, width} : Shape{t, b, width});
  const uint64_t seed = dropout_seed_ * 0x9E3779B97F4A7C15ull + (++calls_);
  has_cache_ = is_training();
  LstmForward(options_, weights_, input, is_training(), seed, &output, nullptr, nullptr,
              is_training() ? &cache_ : nullptr);
  input_ = is_training() ? input : Tensor();
  return output;
}

Tensor Lstm::Backward(const Tensor& output_grad) {
  NN_CHECK(has_cache_) << "Lstm::Backward without a training-mode Forward";
  Tensor input_grad = Tensor::Zeros(input_.shape());
  LstmBackward(options_, weights_, cache_, output_grad, &input_grad, &grads_);
  cache_ = LstmCache();
  input_ = Tensor();
  has_cache_ = false;
  return input_grad;
}

}  // namespace nn
