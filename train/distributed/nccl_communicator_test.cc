// NcclCommunicator on a GPU (--config=cuda; skipped without a GPU): the collectives on one
// rank (a plain process) leave device buffers as they are and report NCCL's version; with
// mpirun and one GPU per rank the same calls average across ranks.
#include "train/distributed/nccl_communicator.h"

#include <vector>

#include "gtest/gtest.h"
#include "nn/build_info.h"
#include "nn/tensor.h"
#include "train/distributed/communicator.h"

namespace train::distributed {
namespace {

TEST(NcclCommunicatorTest, OneRankCollectivesOnDeviceBuffers) {
  if (nn::CudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA GPU";
  std::unique_ptr<Communicator> host = NewSingleProcessCommunicator();
  NcclCommunicator nccl(*host, /*cuda_device=*/0);
  EXPECT_EQ(nccl.rank(), 0);
  EXPECT_EQ(nccl.size(), 1);
  EXPECT_EQ(NcclCommunicator::Version().rfind("NCCL 2.", 0), 0u) << NcclCommunicator::Version();
  std::vector<float> values(1001);
  for (size_t i = 0; i < values.size(); ++i) values[i] = 0.5f * i;
  nn::Tensor device =
      nn::Tensor::FromVector({static_cast<int64_t>(values.size())}, values).To(nn::Device::CUDA());
  nccl.AllreduceSum(static_cast<float*>(device.raw_data()), device.numel());
  nccl.AllreduceAverage(static_cast<float*>(device.raw_data()), device.numel());
  nccl.Broadcast(device.raw_data(), static_cast<int64_t>(device.bytes()), 0);
  const nn::Tensor back = device.To(nn::Device::CPU());
  for (size_t i = 0; i < values.size(); ++i) ASSERT_EQ(back.data<float>()[i], values[i]) << i;
}

}  // namespace
}  // namespace train::distributed
