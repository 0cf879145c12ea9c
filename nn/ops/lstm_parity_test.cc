// PyTorch parity of the LSTM op: forward (output, h_n, c_n) and the gradients of
// sum(output * R) w.r.t. the input and every parameter, against torch.nn.LSTM evaluated in
// float64 on the same float32 values. Fixture: tests/fixtures/lstm.safetensors, written by
//   /usr/bin/python3 tools/pytorch_ref/gen_lstm_fixtures.py
#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "nn/io/safetensors.h"
#include "nn/ops/lstm.h"

namespace nn {
namespace {

constexpr char kFixture[] = "tests/fixtures/lstm.safetensors";

// max |actual - expected| <= rtol * max(1, max |expected|): float32 kernels against a
// float64 reference, so the error is a few float32 roundings of the values' magnitude.
::testing::AssertionResult Near(const std::string& what, const Tensor& actual,
                                const Tensor& expected, double rtol) {
  if (actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure()
           << what << ": shape " << actual.shape() << " vs " << expected.shape();
  }
  double max_diff = 0, max_ref = 0;
  int64_t worst = 0;
  for (int64_t k = 0; k < actual.numel(); ++k) {
    const double diff = std::abs(double(actual.data<float>()[k]) - expected.data<float>()[k]);
    if (diff > max_diff) {
      max_diff = diff;
      worst = k;
    }
    max_ref = std::max(max_ref, std::abs(double(expected.data<float>()[k])));
  }
  const double allowed = rtol * std::max(1.0, max_ref);
  if (max_diff > allowed) {
    return ::testing::AssertionFailure()
           << what << ": max abs diff " << max_diff << " at " << worst << " (actual "
           << actual.data<float>()[worst] << ", expected " << expected.data<float>()[worst]
           << "), allowed " << allowed;
  }
  return ::testing::AssertionSuccess() << what << ": max abs diff " << max_diff;
}

class LstmParityTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    io::Metadata metadata;
    absl::StatusOr<io::TensorMap> read = io::ReadSafetensors(kFixture, &metadata);
    ASSERT_TRUE(read.ok()) << read.status();
    tensors_ = new io::TensorMap(*std::move(read));
    metadata_ = new io::Metadata(std::move(metadata));
  }
  static void TearDownTestSuite() {
    delete tensors_;
    delete metadata_;
  }

  const Tensor& Get(const std::string& name) {
    const auto it = tensors_->find(GetParam() + "/" + name);
    NN_CHECK(it != tensors_->end()) << kFixture << ": no tensor " << GetParam() << "/" << name;
    return it->second;
  }

  static io::TensorMap* tensors_;
  static io::Metadata* metadata_;
};
io::TensorMap* LstmParityTest::tensors_ = nullptr;
io::Metadata* LstmParityTest::metadata_ = nullptr;

TEST_P(LstmParityTest, ForwardAndGradientsMatchPytorch) {
  const std::string& name = GetParam();
  ASSERT_TRUE(metadata_->count(name)) << kFixture << ": no metadata for case " << name;
  const nlohmann::json opts = nlohmann::json::parse(metadata_->at(name));
  LstmOptions o;
  o.input_size = opts.at("input_size");
  o.hidden_size = opts.at("hidden_size");
  o.num_layers = opts.at("num_layers");
  o.bias = opts.at("bias");
  o.batch_first = opts.at("batch_first");
  o.bidirectional = opts.at("bidirectional");
  const int64_t T = opts.at("seq_len"), B = opts.at("batch");
  const int64_t LD = o.num_layers * o.num_directions();

  // The fixture's parameters are exactly LstmParameterNames (PyTorch's state_dict names).
  std::set<std::string> fixture_params;
  for (const auto& [key, tensor] : *tensors_) {
    const std::string prefix = name + "/";
    if (key.rfind(prefix, 0) == 0 &&
        (key.find("/weight_") != std::string::npos || key.find("/bias_") != std::string::npos)) {
      if (key.find("/grad/") == std::string::npos) fixture_params.insert(key.substr(prefix.size()));
    }
  }
  const std::vector<std::string> names = LstmParameterNames(o);
  EXPECT_EQ(fixture_params, std::set<std::string>(names.begin(), names.end()));

  std::vector<LstmDirectionWeights> weights = LstmZeroWeights(o);
  const std::vector<Tensor*> params = LstmParameters(o, &weights);
  for (size_t k = 0; k < names.size(); ++k) {
    ASSERT_EQ(params[k]->shape(), Get(names[k]).shape()) << names[k];
    params[k]->CopyFrom(Get(names[k]));
  }

  const Tensor& input = Get("input");
  Tensor output = Tensor::Empty(Get("output").shape());
  Tensor h_n = Tensor::Empty({LD, B, o.hidden_size});
  Tensor c_n = Tensor::Empty({LD, B, o.hidden_size});
  LstmCache cache;
  LstmForward(o, weights, input, /*training=*/true, /*dropout_seed=*/0, &output, &h_n, &c_n,
              &cache);
  EXPECT_EQ(cache.seq_len, T);
  EXPECT_EQ(cache.batch, B);
  EXPECT_TRUE(Near("output", output, Get("output"), 1e-5));
  EXPECT_TRUE(Near("h_n", h_n, Get("h_n"), 1e-5));
  EXPECT_TRUE(Near("c_n", c_n, Get("c_n"), 1e-5));

  Tensor input_grad = Tensor::Zeros(input.shape());
  std::vector<LstmDirectionWeights> weight_grads = LstmZeroWeights(o);
  LstmBackward(o, weights, cache, Get("R"), &input_grad, &weight_grads);
  EXPECT_TRUE(Near("grad/input", input_grad, Get("grad/input"), 1e-5));
  const std::vector<Tensor*> grads = LstmParameters(o, &weight_grads);
  for (size_t k = 0; k < names.size(); ++k) {
    EXPECT_TRUE(Near("grad/" + names[k], *grads[k], Get("grad/" + names[k]), 1e-5));
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, LstmParityTest,
                         ::testing::Values("bi2", "uni1_nobias_bf", "bi2_wide"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace nn
