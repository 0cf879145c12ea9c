// Optimizer state export/import: exact resumption, and every mismatch reported; moving the
// state between devices (Optimizer::To).
#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nn/optim/adam.h"
#include "nn/optim/sgd.h"
#if NN_HAVE_CUDA
#include "nn/cuda/runtime.h"
#endif

namespace nn::optim {
namespace {

using ::testing::HasSubstr;

struct Params {
  Parameter w{Tensor::FromVector({2, 2}, {0.5f, -1, 2, 0.25f}), Tensor::Zeros({2, 2})};
  Parameter b{Tensor::FromVector({3}, {1, 2, 3}), Tensor::Zeros({3})};
  NamedParameterList list() { return {{"fc.weight", &w}, {"fc.bias", &b}}; }
  // A gradient that depends on the parameters and the step.
  void SetGrad(int step) {
    for (Parameter* p : {&w, &b}) {
      for (int64_t i = 0; i < p->value.numel(); ++i) {
        p->grad.data<float>()[i] = std::sin(p->value.data<float>()[i] * 3 + step);
      }
    }
  }
  std::vector<float> Values() const {
    std::vector<float> out(w.value.data<float>(), w.value.data<float>() + 4);
    out.insert(out.end(), b.value.data<float>(), b.value.data<float>() + 3);
    return out;
  }
};

template <typename MakeOptimizer>
void ExpectExactResume(MakeOptimizer make) {
  Params reference, first, second;
  auto ref_opt = make(reference.list());
  for (int s = 0; s < 8; ++s) {
    reference.SetGrad(s);
    ref_opt->Step();
  }
  auto opt = make(first.list());
  for (int s = 0; s < 3; ++s) {
    first.SetGrad(s);
    opt->Step();
  }
  io::TensorMap tensors;
  io::Metadata metadata;
  opt->ExportState("optim.", &tensors, &metadata);
  second.w.value.CopyFrom(first.w.value);
  second.b.value.CopyFrom(first.b.value);
  auto resumed = make(second.list());
  ASSERT_TRUE(resumed->ImportState("optim.", tensors, metadata).ok());
  EXPECT_EQ(resumed->step_count(), 3);
  for (int s = 3; s < 8; ++s) {
    second.SetGrad(s);
    resumed->Step();
  }
  EXPECT_EQ(second.Values(), reference.Values());
}

std::vector<float> Values(const Tensor& t) {
  const Tensor cpu = t.To(Device::CPU());
  return std::vector<float>(cpu.data<float>(), cpu.data<float>() + cpu.numel());
}

// Moving the state in the middle of training changes no bit: a run that moves its state to
// `device` and back after 3 steps ends where an unmoved run does.
void ExpectRoundTripKeepsTraining(Device device) {
  Params reference, moved;
  Adam ref_opt(reference.list(), {.lr = 0.05, .weight_decay = 0.01});
  Adam opt(moved.list(), {.lr = 0.05, .weight_decay = 0.01});
  for (int s = 0; s < 6; ++s) {
    reference.SetGrad(s);
    ref_opt.Step();
    moved.SetGrad(s);
    opt.Step();
    if (s == 2) {
      const std::vector<float> before = Values(opt.state("exp_avg_sq", 0));
      opt.To(device);
      EXPECT_EQ(opt.state("exp_avg", 1).device(), device);
      EXPECT_EQ(Values(opt.state("exp_avg_sq", 0)), before);
      opt.To(Device::CPU());
      EXPECT_TRUE(opt.state("exp_avg", 1).device().is_cpu());
      EXPECT_EQ(Values(opt.state("exp_avg_sq", 0)), before);
    }
  }
  EXPECT_EQ(moved.Values(), reference.Values());
  for (const char* slot : {"exp_avg", "exp_avg_sq"}) {
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_EQ(Values(opt.state(slot, i)), Values(ref_opt.state(slot, i))) << slot << i;
    }
  }
}

TEST(OptimizerToTest, CpuRoundTripKeepsStateAndTraining) {
  ExpectRoundTripKeepsTraining(Device::CPU());
}

TEST(OptimizerToTest, StateIsCreatedOnTheParametersDevice) {
  Params p;
  SGD sgd(p.list(), {.lr = 0.1, .momentum = 0.9});
  EXPECT_TRUE(sgd.state("momentum_buffer", 0).device().is_cpu());
  EXPECT_EQ(Values(sgd.state("momentum_buffer", 1)), std::vector<float>(3, 0.0f));
}

#if NN_HAVE_CUDA
class OptimizerCudaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const cuda::DeviceQuery query = cuda::QueryDevices();
    if (query.count == 0) GTEST_SKIP() << "no usable CUDA GPU (" << query.error << ")";
  }
};

TEST_F(OptimizerCudaTest, CudaRoundTripKeepsStateAndTraining) {
  ExpectRoundTripKeepsTraining(Device::CUDA());
}

// Saved state is written from the CPU and loads onto the device of the parameters.
TEST_F(OptimizerCudaTest, ExportCopiesToCpuImportPlacesOnParameterDevice) {
  Params source;
  SGD sgd(source.list(), {.lr = 0.1, .momentum = 0.9});
  source.SetGrad(0);
  sgd.Step();
  const std::vector<float> buffer = Values(sgd.state("momentum_buffer", 0));
  sgd.To(Device::CUDA());
  io::TensorMap tensors;
  io::Metadata metadata;
  sgd.ExportState("optim.", &tensors, &metadata);
  EXPECT_TRUE(tensors.at("optim.momentum_buffer.fc.weight").device().is_cpu());

  Params target;
  for (Parameter* p : {&target.w, &target.b}) {
    p->value = p->value.To(Device::CUDA());
    p->grad = p->grad.To(Device::CUDA());
  }
  SGD resumed(target.list(), {.lr = 0.1, .momentum = 0.9});
  ASSERT_TRUE(resumed.ImportState("optim.", tensors, metadata).ok());
  EXPECT_EQ(resumed.state("momentum_buffer", 0).device(), Device::CUDA());
  EXPECT_EQ(Values(resumed.state("momentum_buffer", 0)), buffer);
}

TEST_F(OptimizerCudaTest, StepWithStateElsewhereSaysToMoveTheOptimizer) {
  Params p;
  SGD sgd(p.list(), {.lr = 0.1, .momentum = 0.9});
  sgd.To(Device::CUDA());
  EXPECT_DEATH(sgd.Step(),
               "SGD: state momentum_buffer of fc.weight is on cuda:0, the parameter on cpu: "
               "move the optimizer with To\\(\\) after moving the model");
}
#else
TEST(OptimizerToDeathTest, CudaNeedsTheCudaBackend) {
  Params p;
  Adam adam(p.list(), {.lr = 0.1});
  EXPECT_DEATH(adam.To(Device::CUDA()),
               "Adam optimizer: cannot move to cuda:0: this build has no CUDA backend "
               "\\(build with --config=cuda\\)");
  SGD sgd(p.list(), {.lr = 0.1});  // no state: still refused
  EXPECT_DEATH(sgd.To(Device::CUDA(1)), "SGD optimizer: cannot move to cuda:1");
}
#endif

TEST(OptimizerStateTest, SGDResumesExactly) {
  ExpectExactResume([](NamedParameterList l) {
    return std::make_unique<SGD>(l, SGDOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true});
  });
}

TEST(OptimizerStateTest, AdamResumesExactly) {
  ExpectExactResume([](NamedParameterList l) {
    return std::make_unique<Adam>(l, AdamOptions{.lr = 0.05, .weight_decay = 0.01});
  });
}

TEST(OptimizerStateTest, AdamWResumesExactly) {
  ExpectExactResume([](NamedParameterList l) { return std::make_unique<AdamW>(l); });
}

TEST(OptimizerStateTest, ExportNamesTensorsBySlotAndParameter) {
  Params p;
  Adam adam(p.list(), {.lr = 0.1});
  io::TensorMap tensors;
  io::Metadata metadata;
  adam.ExportState("optim.", &tensors, &metadata);
  EXPECT_TRUE(tensors.empty());  // no state before the first step, as PyTorch
  EXPECT_EQ(metadata.at("optim.type"), "Adam");
  EXPECT_EQ(metadata.at("optim.step"), "0");
  p.SetGrad(0);
  adam.set_lr(0.025);
  adam.Step();
  adam.ExportState("optim.", &tensors, &metadata);
  EXPECT_EQ(tensors.size(), 4u);
  EXPECT_EQ(tensors.at("optim.exp_avg.fc.weight").shape(), (Shape{2, 2}));
  EXPECT_EQ(tensors.at("optim.exp_avg_sq.fc.bias").shape(), (Shape{3}));
  EXPECT_EQ(metadata.at("optim.lr"), "0.025000000000000001");
  EXPECT_EQ(metadata.at("optim.beta2"), "0.999");
}

class OptimizerImportErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Params source;
    SGD sgd(source.list(), {.lr = 0.1, .momentum = 0.9});
    source.SetGrad(0);
    sgd.Step();
    sgd.ExportState("optim.", &tensors_, &metadata_);
  }
  // Imports into a fresh SGD; on error, checks nothing changed.
  absl::Status Import(const SGDOptions& options = {.lr = 0.1, .momentum = 0.9}) {
    SGD sgd(target_.list(), options);
    absl::Status status = sgd.ImportState("optim.", tensors_, metadata_);
    if (!status.ok()) {
      EXPECT_EQ(sgd.step_count(), 0);
      EXPECT_EQ(sgd.lr(), options.lr);
    }
    return status;
  }
  Params target_;
  io::TensorMap tensors_;
  io::Metadata metadata_;
};

TEST_F(OptimizerImportErrorTest, Succeeds) { EXPECT_TRUE(Import().ok()); }

TEST_F(OptimizerImportErrorTest, ListsMissingUnexpectedAndMismatched) {
  tensors_.erase("optim.momentum_buffer.fc.bias");
  tensors_["optim.momentum_buffer.head.weight"] = Tensor::Zeros({1});
  tensors_["optim.momentum_buffer.fc.weight"] = Tensor::Zeros({4});
  const absl::Status status = Import();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("missing 1 (optim.momentum_buffer.fc.bias)"));
  EXPECT_THAT(status.message(), HasSubstr("unexpected 1 (optim.momentum_buffer.head.weight)"));
  EXPECT_THAT(status.message(),
              HasSubstr("mismatched 1 (optim.momentum_buffer.fc.weight: expected [2, 2] vs "
                        "found Tensor(float32, cpu, [4]))"));
}

TEST_F(OptimizerImportErrorTest, RejectsOtherTypeAndHyperparameters) {
  Params p;
  Adam adam(p.list(), {});
  EXPECT_THAT(adam.ImportState("optim.", tensors_, metadata_).message(),
              HasSubstr("optimizer state is SGD, the optimizer is Adam"));
  EXPECT_THAT(Import({.lr = 0.1, .momentum = 0.8}).message(),
              HasSubstr("momentum was 0.90000000000000002 when saved, is 0.80000000000000004 now"));
}

TEST_F(OptimizerImportErrorTest, RejectsBadNumbers) {
  metadata_["optim.lr"] = "fast";
  metadata_["optim.step"] = "-2";
  const absl::Status status = Import();
  EXPECT_THAT(status.message(), HasSubstr("metadata 'optim.lr' = 'fast' is not a number"));
  EXPECT_THAT(status.message(), HasSubstr("step count -2 is negative"));
}

TEST_F(OptimizerImportErrorTest, MissingStateIsReported) {
  EXPECT_THAT(Import().ok(), true);
  SGD sgd(target_.list(), {.lr = 0.1, .momentum = 0.9});
  EXPECT_THAT(sgd.ImportState("other.", tensors_, metadata_).message(),
              HasSubstr("no optimizer state: missing metadata 'other.type'"));
}

}  // namespace
}  // namespace nn::optim
