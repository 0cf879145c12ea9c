#include "nn/module.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nn {
namespace {

using ::testing::ElementsAre;

// y = x * scale (elementwise over one value), with a buffer to test state order.
class Scale : public Layer {
 public:
  explicit Scale(float scale) {
    scale_ = RegisterParameter("weight", Tensor::Full({1}, scale));
    RegisterBuffer("calls", Tensor::Zeros({1}));
  }
  Tensor Forward(const Tensor& x) override {
    input_ = x;
    Tensor y = Tensor::Empty(x.shape());
    for (int64_t i = 0; i < x.numel(); ++i) {
      y.data<float>()[i] = x.data<float>()[i] * scale_->value.data<float>()[0];
    }
    return y;
  }
  Tensor Backward(const Tensor& dy) override {
    Tensor dx = Tensor::Empty(dy.shape());
    for (int64_t i = 0; i < dy.numel(); ++i) {
      dx.data<float>()[i] = dy.data<float>()[i] * scale_->value.data<float>()[0];
      scale_->grad.data<float>()[0] += dy.data<float>()[i] * input_.data<float>()[i];
    }
    return dx;
  }
  int mode_changes = 0;

 protected:
  void OnTrainingChanged() override { ++mode_changes; }

 private:
  Parameter* scale_;
  Tensor input_;
};

class Block : public Module {
 public:
  Block() {
    RegisterParameter("bias", Tensor::Zeros({2}));
    body = RegisterModule("body", std::make_unique<Sequential>());
    first = body->Add(std::make_unique<Scale>(2));
    body->Add(std::make_unique<Scale>(3));
  }
  Sequential* body;
  Scale* first;
};

TEST(ModuleTest, NamesFollowPyTorch) {
  Block block;
  std::vector<std::string> names;
  for (auto& [name, p] : block.NamedParameters()) names.push_back(name);
  EXPECT_THAT(names, ElementsAre("bias", "body.0.weight", "body.1.weight"));
  std::vector<std::string> state;
  for (auto& [name, t] : block.NamedState()) state.push_back(name);
  EXPECT_THAT(
      state, ElementsAre("bias", "body.0.weight", "body.0.calls", "body.1.weight", "body.1.calls"));
  EXPECT_EQ(block.NumParameterElements(), 4);
}

TEST(ModuleTest, SequentialChainsForwardAndBackward) {
  Block block;
  Tensor y = block.body->Forward(Tensor::FromVector({2}, {1, -1}));
  EXPECT_THAT(std::vector<float>(y.data<float>(), y.data<float>() + 2), ElementsAre(6, -6));
  Tensor dx = block.body->Backward(Tensor::FromVector({2}, {1, 1}));
  EXPECT_THAT(std::vector<float>(dx.data<float>(), dx.data<float>() + 2), ElementsAre(6, 6));
  // d/dw0 of sum(3 * w0 * x) = 3 * sum(x) = 0; d/dw1 = sum(w0 * x) = 0 too for x = (1, -1).
  block.body->Forward(Tensor::FromVector({2}, {1, 2}));
  block.body->Backward(Tensor::FromVector({2}, {1, 1}));
  const auto params = block.NamedParameters();
  EXPECT_EQ(params[1].second->grad.data<float>()[0], 3 * 3);  // 3 * (1 + 2)
  EXPECT_EQ(params[2].second->grad.data<float>()[0], 2 * 3);  // 2 * (1 + 2)
  block.ZeroGrad();
  EXPECT_EQ(params[1].second->grad.data<float>()[0], 0);
}

TEST(ModuleTest, TrainEvalPropagates) {
  Block block;
  EXPECT_TRUE(block.first->is_training());
  block.Eval();
  EXPECT_FALSE(block.first->is_training());
  EXPECT_EQ(block.first->mode_changes, 1);
  block.Eval();
  EXPECT_EQ(block.first->mode_changes, 1);
}

}  // namespace
}  // namespace nn
