// CPU parity of the elementwise CUDA kernels, on odd sizes (grid-stride tails). Skips, with
// the reason, where no GPU is usable.
#include "nn/ops/elementwise.h"

#include "gtest/gtest.h"
#include "nn/cuda/runtime.h"
#include "nn/tensor.h"
#include "nn/testing/tensor_matchers.h"

namespace nn {
namespace {

using testing::RandomNormal;

class CudaElementwiseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const cuda::DeviceQuery query = cuda::QueryDevices();
    if (query.count == 0) GTEST_SKIP() << "no usable CUDA GPU (" << query.error << ")";
  }
};

TEST_F(CudaElementwiseTest, AddMatchesCpu) {
  for (int64_t n : {1, 255, 257, 1000003}) {
    const Tensor a = RandomNormal({n}, 1), b = RandomNormal({n}, 2);
    Tensor expected = Tensor::Empty({n});
    AddForward(a, b, &expected);

    const Tensor a_gpu = a.To(Device::CUDA()), b_gpu = b.To(Device::CUDA());
    Tensor out_gpu = Tensor::Empty({n}, DType::kFloat32, Device::CUDA());
    AddForward(a_gpu, b_gpu, &out_gpu);
    const Tensor out = out_gpu.To(Device::CPU());
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_EQ(out.data<float>()[i], expected.data<float>()[i]) << "n=" << n << " i=" << i;
    }
  }
}

TEST_F(CudaElementwiseTest, AddBackwardAccumulatesLikeCpu) {
  const int64_t n = 4099;
  const Tensor dout = RandomNormal({n}, 3);
  Tensor da = RandomNormal({n}, 4);
  Tensor da_gpu = da.To(Device::CUDA());
  AddBackward(dout, &da, nullptr);
  AddBackward(dout.To(Device::CUDA()), &da_gpu, nullptr);
  const Tensor result = da_gpu.To(Device::CPU());
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(result.data<float>()[i], da.data<float>()[i]);
}

TEST_F(CudaElementwiseTest, ZerosAndRoundTrip) {
  Tensor z = Tensor::Zeros({37, 3}, DType::kFloat32, Device::CUDA()).To(Device::CPU());
  for (int64_t i = 0; i < z.numel(); ++i) ASSERT_EQ(z.data<float>()[i], 0.0f);
  const Tensor a = RandomNormal({5, 7}, 5);
  const Tensor back = a.To(Device::CUDA()).Clone().To(Device::CPU());
  for (int64_t i = 0; i < a.numel(); ++i) ASSERT_EQ(back.data<float>()[i], a.data<float>()[i]);
}

}  // namespace
}  // namespace nn
