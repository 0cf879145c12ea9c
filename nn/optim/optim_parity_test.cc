// Parity with PyTorch 1.13.1's torch.optim: trajectories, clip_grad_norm_ and lr schedules
// from tests/fixtures/optim.safetensors (tools/pytorch_ref/gen_optim_fixtures.py).
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "nn/io/safetensors.h"
#include "nn/optim/adam.h"
#include "nn/optim/clip_grad_norm.h"
#include "nn/optim/lr_scheduler.h"
#include "nn/optim/sgd.h"
#include "nn/testing/tensor_matchers.h"

namespace nn::optim {
namespace {

constexpr char kFixture[] = "tests/fixtures/optim.safetensors";
constexpr int kSteps = 10;

class OptimParityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    metadata_ = new io::Metadata;
    absl::StatusOr<io::TensorMap> read = io::ReadSafetensors(kFixture, metadata_);
    ASSERT_TRUE(read.ok()) << read.status();
    tensors_ = new io::TensorMap(std::move(*read));
  }
  static void TearDownTestSuite() {
    delete tensors_;
    delete metadata_;
  }
  static const Tensor& Get(const std::string& name) {
    auto it = tensors_->find(name);
    NN_CHECK(it != tensors_->end()) << kFixture << " has no tensor " << name;
    return it->second;
  }
  static nlohmann::json Options(const std::string& key) {
    return nlohmann::json::parse(metadata_->at(key));
  }
  static std::vector<double> Doubles(const std::string& key) {
    std::vector<double> out;
    for (absl::string_view item : absl::StrSplit(metadata_->at(key), ',')) {
      double value;
      NN_CHECK(absl::SimpleAtod(item, &value)) << key << ": " << item;
      out.push_back(value);
    }
    return out;
  }

  static io::TensorMap* tensors_;
  static io::Metadata* metadata_;
};
io::TensorMap* OptimParityTest::tensors_ = nullptr;
io::Metadata* OptimParityTest::metadata_ = nullptr;

std::unique_ptr<Optimizer> MakeOptimizer(const nlohmann::json& o, NamedParameterList params) {
  const std::string type = o.at("type");
  if (type == "SGD") {
    SGDOptions options;
    options.lr = o.at("lr");
    options.momentum = o.value("momentum", 0.0);
    options.dampening = o.value("dampening", 0.0);
    options.weight_decay = o.value("weight_decay", 0.0);
    options.nesterov = o.value("nesterov", false);
    return std::make_unique<SGD>(std::move(params), options);
  }
  AdamOptions options = type == "AdamW" ? AdamWOptions() : AdamOptions();
  options.lr = o.at("lr");
  options.beta1 = o.value("beta1", options.beta1);
  options.beta2 = o.value("beta2", options.beta2);
  options.eps = o.value("eps", options.eps);
  options.weight_decay = o.value("weight_decay", options.weight_decay);
  if (type == "AdamW") {
    AdamWOptions w;
    static_cast<AdamOptions&>(w) = options;
    return std::make_unique<AdamW>(std::move(params), w);
  }
  return std::make_unique<Adam>(std::move(params), options);
}

// |actual - expected| <= 1e-6 * max(1, |expected|), element by element.
const testing::Tolerance kParityTolerance = testing::RelativeAtLeastOne(1e-6);

TEST_F(OptimParityTest, TrajectoriesMatchTorch) {
  int configs = 0;
  for (const auto& [key, value] : *metadata_) {
    if (key.rfind("optimizer.", 0) != 0) continue;
    const std::string name = key.substr(10);
    SCOPED_TRACE(name);
    ++configs;
    Parameter w{Get(name + ".init.w").Clone(), Tensor::Zeros({3, 7})};
    Parameter b{Get(name + ".init.b").Clone(), Tensor::Zeros({5})};
    std::unique_ptr<Optimizer> optimizer = MakeOptimizer(Options(key), {{"w", &w}, {"b", &b}});
    for (int k = 0; k < kSteps; ++k) {
      w.grad.CopyFrom(Get(absl::StrCat(name, ".grad.", k, ".w")));
      b.grad.CopyFrom(Get(absl::StrCat(name, ".grad.", k, ".b")));
      optimizer->Step();
    }
    const Tensor &final_w = Get(name + ".final.w"), &final_b = Get(name + ".final.b");
    EXPECT_TRUE(testing::TensorsNear(w.value, final_w, kParityTolerance)) << name << ".w";
    EXPECT_TRUE(testing::TensorsNear(b.value, final_b, kParityTolerance)) << name << ".b";
    ASSERT_EQ(w.value.shape(), final_w.shape());
    ASSERT_EQ(b.value.shape(), final_b.shape());
    const int64_t exact = testing::CompareTensors(w.value, final_w, kParityTolerance).equal +
                          testing::CompareTensors(b.value, final_b, kParityTolerance).equal;
    // The parameters must actually have moved.
    EXPECT_GT(std::fabs(w.value.data<float>()[0] - Get(name + ".init.w").data<float>()[0]), 1e-4);
    std::printf("%s: %lld of 26 parameters bit-identical to torch\n", name.c_str(),
                static_cast<long long>(exact));
  }
  EXPECT_EQ(configs, 6);
}

TEST_F(OptimParityTest, ClipGradNormMatchesTorch) {
  for (const std::string name : {"clip", "clip_noop", "clip_inf"}) {
    SCOPED_TRACE(name);
    const nlohmann::json o = Options("clip." + name);
    const int count = o.at("count");
    std::vector<std::unique_ptr<Parameter>> params;
    std::vector<Parameter*> raw;
    for (int i = 0; i < count; ++i) {
      const Tensor& g = Get(absl::StrCat(name, ".grad.", i));
      params.push_back(std::make_unique<Parameter>(Parameter{Tensor::Zeros(g.shape()), g.Clone()}));
      raw.push_back(params.back().get());
    }
    const double norm_type =
        o.at("norm_type").is_string() ? INFINITY : o.at("norm_type").get<double>();
    const float total = ClipGradNorm(raw, o.at("max_norm").get<double>(), norm_type);
    EXPECT_NEAR(total, Get(name + ".total").data<float>()[0],
                1e-6 * Get(name + ".total").data<float>()[0]);
    for (int i = 0; i < count; ++i) {
      EXPECT_TRUE(testing::TensorsNear(raw[i]->grad, Get(absl::StrCat(name, ".clipped.", i)),
                                       kParityTolerance))
          << name << ".clipped." << i;
    }
  }
}

TEST_F(OptimParityTest, ReduceLROnPlateauMatchesTorch) {
  const std::vector<double> metrics = Doubles("plateau.metrics");
  int cases = 0;
  for (const auto& [key, value] : *metadata_) {
    if (key.rfind("plateau.", 0) != 0 || key == "plateau.metrics" ||
        (key.size() > 3 && key.compare(key.size() - 3, 3, ".lr") == 0)) {
      continue;
    }
    SCOPED_TRACE(key);
    ++cases;
    const nlohmann::json o = Options(key);
    ReduceLROnPlateauOptions options;
    options.mode = o.at("mode") == "min" ? ReduceLROnPlateauOptions::Mode::kMin
                                         : ReduceLROnPlateauOptions::Mode::kMax;
    options.factor = o.value("factor", options.factor);
    options.patience = o.value("patience", options.patience);
    options.threshold = o.value("threshold", options.threshold);
    options.threshold_mode = o.value("threshold_mode", std::string("rel")) == "rel"
                                 ? ReduceLROnPlateauOptions::ThresholdMode::kRel
                                 : ReduceLROnPlateauOptions::ThresholdMode::kAbs;
    options.cooldown = o.value("cooldown", options.cooldown);
    options.min_lr = o.value("min_lr", options.min_lr);
    options.eps = o.value("eps", options.eps);
    Parameter p{Tensor::Zeros({1}), Tensor::Zeros({1})};
    SGD sgd({{"p", &p}}, {.lr = o.at("lr").get<double>()});
    ReduceLROnPlateau schedule(&sgd, options);
    const std::vector<double> expected = Doubles(key + ".lr");
    ASSERT_EQ(expected.size(), metrics.size() + 1);
    std::vector<double> actual = {sgd.lr()};
    for (double metric : metrics) {
      schedule.Step(metric);
      actual.push_back(sgd.lr());
    }
    EXPECT_EQ(actual, expected);  // exact: same double operations in the same order
    EXPECT_NE(actual.front(), actual.back());
  }
  EXPECT_EQ(cases, 5);
}

TEST_F(OptimParityTest, EpochSchedulesMatchTorch) {
  for (const std::string name : {"step_lr.a", "step_lr.b", "cosine.a", "cosine.b"}) {
    SCOPED_TRACE(name);
    const nlohmann::json o = Options(name);
    Parameter p{Tensor::Zeros({1}), Tensor::Zeros({1})};
    SGD sgd({{"p", &p}}, {.lr = o.at("lr").get<double>()});
    std::unique_ptr<LRScheduler> schedule;
    std::function<void()> step;
    if (name.rfind("step_lr", 0) == 0) {
      auto s = std::make_unique<StepLR>(&sgd, o.at("step_size").get<int64_t>(),
                                        o.at("gamma").get<double>());
      step = [raw = s.get()] { raw->Step(); };
      schedule = std::move(s);
    } else {
      auto s = std::make_unique<CosineAnnealingLR>(&sgd, o.at("T_max").get<int64_t>(),
                                                   o.at("eta_min").get<double>());
      step = [raw = s.get()] { raw->Step(); };
      schedule = std::move(s);
    }
    const std::vector<double> expected = Doubles(name + ".lr");
    std::vector<double> actual = {sgd.lr()};
    for (int i = 0; i < o.at("steps").get<int>(); ++i) {
      step();
      actual.push_back(sgd.lr());
    }
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t i = 0; i < actual.size(); ++i) {
      EXPECT_NEAR(actual[i], expected[i], 1e-15 * std::fabs(expected[i])) << "epoch " << i;
    }
  }
}

}  // namespace
}  // namespace nn::optim
