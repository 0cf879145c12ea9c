// Dispatch runs the kernel of the tensors' device, fails naming the op and the device when
// that device has no kernel, and MissingKernelRecorder turns that failure into a record.
#include "nn/ops/internal/dispatch.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace nn::ops_internal {
namespace {

void Twice(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = 2 * x[i];
}

double Sum(const float* x, int64_t n) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += x[i];
  return sum;
}

TEST(DispatchTest, CpuRunsTheCpuKernel) {
  const float x[3] = {1, 2, 3};
  float y[3] = {};
  Dispatch("Twice", Device::CPU(), &Twice, nullptr, x, y, 3);
  EXPECT_EQ(y[2], 6);
  EXPECT_EQ(Dispatch("Sum", Device::CPU(), &Sum, nullptr, x, 3), 6.0);
}

TEST(DispatchDeathTest, MissingCudaKernelNamesTheOpAndTheDevice) {
  const float x = 1;
  float y = 0;
  EXPECT_DEATH(Dispatch("LinearForward", Device::CUDA(), &Twice, nullptr, &x, &y, 1),
               "LinearForward: no kernel for cuda:0 \\((this build has no CUDA backend: build "
               "with --config=cuda|this op has no CUDA kernel yet)\\)");
  EXPECT_DEATH(Dispatch("Sum", Device::CUDA(1), &Sum, nullptr, &x, 1), "Sum: no kernel for cuda:1");
}

TEST(DispatchDeathTest, MissingCpuKernelNamesTheOp) {
  const float x = 1;
  float y = 0;
  void (*no_kernel)(const float*, float*, int64_t) = nullptr;
  EXPECT_DEATH(Dispatch("GpuOnly", Device::CPU(), no_kernel, nullptr, &x, &y, 1),
               "GpuOnly: no kernel for cpu");
}

TEST(MissingKernelRecorderTest, RecordsEachMissingKernelOnceAndSkipsIt) {
  const float x = 1;
  float y = 5;
  MissingKernelRecorder recorder;
  Dispatch("Twice", Device::CUDA(), &Twice, nullptr, &x, &y, 1);
  Dispatch("Twice", Device::CUDA(), &Twice, nullptr, &x, &y, 1);
  EXPECT_EQ(Dispatch("Sum", Device::CUDA(1), &Sum, nullptr, &x, 1), 0.0);
  Dispatch("Twice", Device::CPU(), &Twice, nullptr, &x, &y, 1);  // present: runs
  EXPECT_EQ(y, 2);
  EXPECT_EQ(recorder.missing(), (std::vector<std::string>{"Twice on cuda:0", "Sum on cuda:1"}));
}

TEST(MissingKernelRecorderDeathTest, OneAtATimeAndFatalAgainAfterwards) {
  {
    MissingKernelRecorder recorder;
    EXPECT_DEATH(MissingKernelRecorder second, "another recorder is active");
  }
  const float x = 1;
  float y = 0;
  EXPECT_DEATH(Dispatch("Twice", Device::CUDA(), &Twice, nullptr, &x, &y, 1),
               "Twice: no kernel for cuda:0");
}

}  // namespace
}  // namespace nn::ops_internal
