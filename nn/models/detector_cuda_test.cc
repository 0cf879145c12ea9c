// The whole detector on the GPU against the CPU (issue 17's proof): the `default` and
// `jadhav2020` presets' logits in eval and training mode, every parameter gradient, and ten
// Adam steps, within float32 tolerance (cuDNN and cuBLAS sum in other orders than the CPU
// kernels). Skips, with the reason, where no GPU is usable.
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "nn/cuda/runtime.h"
#include "nn/models/detector.h"
#include "nn/models/presets.h"
#include "nn/ops/loss.h"
#include "nn/optim/adam.h"
#include "nn/testing/gradient_check.h"

namespace nn {
namespace {

using testing::RandomNormal;

class DetectorCudaTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const cuda::DeviceQuery query = cuda::QueryDevices();
    if (query.count == 0) GTEST_SKIP() << "no usable CUDA GPU (" << query.error << ")";
  }
  // The preset's detector with every dropout off, so CPU and GPU compute one function.
  DetectorOptions Options() const {
    DetectorOptions options = GetPreset(GetParam())->detector;
    options.lstm.dropout = 0;
    options.feature_dropout = 0;
    options.logit_dropout = 0;
    return options;
  }
};

// Largest |a - b| / (1 + |a|) over the elements; a on the CPU, b on any device.
double MaxRelativeDifference(const Tensor& a, const Tensor& b_any) {
  const Tensor b = b_any.To(Device::CPU());
  EXPECT_EQ(a.shape(), b.shape());
  double worst = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double x = a.data<float>()[i], y = b.data<float>()[i];
    worst = std::max(worst, std::abs(x - y) / (1.0 + std::abs(x)));
  }
  return worst;
}

// Copies every parameter and buffer of `from` into `to` (same architecture, any devices).
void CopyState(Detector& from, Detector& to) {
  auto source = from.NamedState(), target = to.NamedState();
  ASSERT_EQ(source.size(), target.size());
  for (size_t i = 0; i < source.size(); ++i) target[i].second->CopyFrom(*source[i].second);
}

TEST_P(DetectorCudaTest, LogitsAndGradientsMatchTheCpu) {
  Detector cpu(Options()), gpu(Options());
  CopyState(cpu, gpu);
  gpu.To(Device::CUDA());
  const Tensor frames = RandomNormal({2, 4, 3, 64, 64}, 3);
  const Tensor frames_gpu = frames.To(Device::CUDA());

  cpu.Eval();
  gpu.Eval();
  EXPECT_LT(
      MaxRelativeDifference(cpu.Forward(frames).video_logits, gpu.Forward(frames_gpu).video_logits),
      1e-3);

  cpu.Train();
  gpu.Train();
  cpu.ZeroGrad();
  gpu.ZeroGrad();
  const Tensor logits = cpu.Forward(frames).video_logits.Clone();
  const Tensor logits_gpu = gpu.Forward(frames_gpu).video_logits;
  EXPECT_LT(MaxRelativeDifference(logits, logits_gpu), 1e-3);
  const Tensor dy = RandomNormal(logits.shape(), 4);
  cpu.Backward(dy);
  gpu.Backward(dy.To(Device::CUDA()));
  auto p = cpu.NamedParameters(), q = gpu.NamedParameters();
  ASSERT_EQ(p.size(), q.size());
  for (size_t i = 0; i < p.size(); ++i) {
    EXPECT_LT(MaxRelativeDifference(p[i].second->grad, q[i].second->grad), 2e-3) << p[i].first;
  }
}

TEST_P(DetectorCudaTest, TenAdamStepsMatchTheCpu) {
  Detector cpu(Options()), gpu(Options());
  CopyState(cpu, gpu);
  gpu.To(Device::CUDA());
  cpu.Train();
  gpu.Train();
  optim::Adam cpu_adam(cpu.NamedParameters(), {.lr = 1e-3});
  optim::Adam gpu_adam(gpu.NamedParameters(), {.lr = 1e-3});
  const Tensor frames = RandomNormal({2, 4, 3, 64, 64}, 5);
  const Tensor frames_gpu = frames.To(Device::CUDA());
  const int outputs = Options().num_outputs;
  Tensor labels = Tensor::Zeros({2, outputs});
  labels.data<float>()[outputs] = 1.0f;  // the second video is fake
  const Tensor labels_gpu = labels.To(Device::CUDA());
  for (int step = 0; step < 10; ++step) {
    using Run = std::tuple<Detector*, optim::Adam*, const Tensor*, const Tensor*>;
    for (auto [model, optimizer, input, target] :
         {Run{&cpu, &cpu_adam, &frames, &labels}, Run{&gpu, &gpu_adam, &frames_gpu, &labels_gpu}}) {
      optimizer->ZeroGrad();
      const Tensor out = model->Forward(*input).video_logits;
      Tensor grad = Tensor::Zeros(out.shape(), DType::kFloat32, out.device());
      BCEWithLogitsForward(out, *target);
      BCEWithLogitsBackward(out, *target, nullptr, 1.0f, &grad);
      model->Backward(grad);
      optimizer->Step();
    }
  }
  auto p = cpu.NamedParameters(), q = gpu.NamedParameters();
  for (size_t i = 0; i < p.size(); ++i) {
    EXPECT_LT(MaxRelativeDifference(p[i].second->value, q[i].second->value), 1e-3) << p[i].first;
  }
}

INSTANTIATE_TEST_SUITE_P(Presets, DetectorCudaTest, ::testing::Values("default", "jadhav2020"));

}  // namespace
}  // namespace nn
