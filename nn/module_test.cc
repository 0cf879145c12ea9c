#include "nn/module.h"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

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
  int state_changes = 0;

 protected:
  void OnTrainingChanged() override { ++mode_changes; }
  void OnStateChanged() override { ++state_changes; }

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

TEST(ModuleTest, StateChangesReachEveryChild) {
  Block block;
  const int at_start = block.first->state_changes;
  block.NotifyStateChanged();
  EXPECT_EQ(block.first->state_changes, at_start + 1);
  block.Eval();
  block.Eval();  // the same mode again still notifies: "refresh what you derived"
  EXPECT_EQ(block.first->state_changes, at_start + 3);
  block.NamedState();  // mutable access to the state: it may be written
  block.NamedParameters();
  block.To(Device::CPU());
  EXPECT_EQ(block.first->state_changes, at_start + 6);
  block.body->NotifyStateChanged();  // a subtree
  EXPECT_EQ(block.first->state_changes, at_start + 7);
}

TEST(ModuleTest, ToTheCpuRoundTripsAndKeepsTheTensors) {
  Block block;
  auto before = block.NamedState();
  std::vector<Tensor> kept;
  for (auto& [name, tensor] : before) kept.push_back(*tensor);
  EXPECT_EQ(block.device(), Device::CPU());
  block.To(Device::CPU());
  EXPECT_EQ(block.device(), Device::CPU());
  EXPECT_EQ(block.first->device(), Device::CPU());
  auto after = block.NamedState();
  ASSERT_EQ(after.size(), kept.size());
  for (size_t i = 0; i < kept.size(); ++i) {
    // Already there: the same storage, not a copy.
    EXPECT_TRUE(after[i].second->SharesStorageWith(kept[i])) << after[i].first;
    EXPECT_EQ(after[i].second->device(), Device::CPU());
  }
  for (Parameter* p : block.Parameters()) EXPECT_EQ(p->grad.device(), Device::CPU());
  const Tensor y = block.body->Forward(Tensor::FromVector({2}, {1, -1}));
  EXPECT_THAT(std::vector<float>(y.data<float>(), y.data<float>() + 2), ElementsAre(6, -6));
}

TEST(ModuleDeathTest, ToCudaWithoutTheCudaBackendFailsClearly) {
#if NN_HAVE_CUDA
  GTEST_SKIP() << "this build has the CUDA backend";
#else
  Block block;
  EXPECT_DEATH(block.To(Device::CUDA()),
               "Module::To\\(cuda:0\\): this build has no CUDA backend "
               "\\(build with --config=cuda\\)");
#endif
}

// A layer whose Forward signals that it started and then waits for `release`: it makes
// two calls overlap on purpose.
class Gate : public Layer {
 public:
  Tensor Forward(const Tensor& x) override {
    TrainingCall call(*this, "Gate::Forward");
    entered.fetch_add(1);
    release.wait_for(std::chrono::seconds(20));
    return x;
  }
  Tensor Backward(const Tensor& dy) override {
    TrainingCall call(*this, "Gate::Backward");
    return dy;
  }
  std::atomic<int> entered{0};
  std::shared_future<void> release;
};

void WaitUntil(const std::atomic<int>& counter, int value) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (counter.load() < value && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

TEST(ModuleDeathTest, OverlappingTrainingCallsFailNamingTheCall) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // the statement starts a thread
  EXPECT_DEATH(
      {
        Gate gate;
        std::promise<void> never;
        gate.release = never.get_future().share();
        std::thread first([&] { gate.Forward(Tensor::Zeros({1})); });
        WaitUntil(gate.entered, 1);
        gate.Forward(Tensor::Zeros({1}));  // a second training-mode Forward meanwhile
        first.join();
      },
      "Gate::Forward: another training-mode Forward/Backward of this module is running on "
      "another thread");
}

TEST(ModuleTest, EvalForwardsMayOverlap) {
  Gate gate;
  gate.Eval();
  std::promise<void> release;
  gate.release = release.get_future().share();
  std::thread first([&] { gate.Forward(Tensor::Zeros({1})); });
  std::thread second([&] { gate.Forward(Tensor::Zeros({1})); });
  WaitUntil(gate.entered, 2);
  EXPECT_EQ(gate.entered.load(), 2);  // both are inside Forward at once
  release.set_value();
  first.join();
  second.join();
}

TEST(ModuleTest, TrainingCallsOneAfterTheOtherFromTwoThreads) {
  Gate gate;
  std::promise<void> release;
  release.set_value();
  gate.release = release.get_future().share();
  for (int i = 0; i < 2; ++i) {
    std::thread([&] { gate.Backward(gate.Forward(Tensor::Zeros({1}))); }).join();
  }
  EXPECT_EQ(gate.entered.load(), 2);
}

}  // namespace
}  // namespace nn
