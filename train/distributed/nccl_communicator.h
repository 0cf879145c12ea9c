// Allreduce and broadcast of GPU buffers over NVIDIA NCCL, for data-parallel training on
// GPUs (--config=cuda only; tools/cuda.bzl): one NCCL communicator over the ranks of a host
// Communicator (MPI), which carries NCCL's bootstrap id from rank 0. Each rank drives one
// GPU. Plain C++ (no CUDA types): pointers are device pointers (nn::Tensor::raw_data() of
// a CUDA tensor).
//
// The trainer averages GPU gradients with it (GradientAverager's DeviceAllreduce) when it
// runs on CUDA under mpirun. Status: compile-checked here (no GPU on the build machines).
#ifndef TRAIN_DISTRIBUTED_NCCL_COMMUNICATOR_H_
#define TRAIN_DISTRIBUTED_NCCL_COMMUNICATOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "train/distributed/communicator.h"
#include "train/distributed/device_allreduce.h"

namespace train::distributed {

class NcclCommunicator : public DeviceAllreduce {
 public:
  // Every rank of `host` calls this (a collective), with the CUDA device it drives.
  // Failures (no GPU, NCCL errors) abort with NCCL's message, as every other rank would
  // wait otherwise.
  NcclCommunicator(Communicator& host, int cuda_device);
  ~NcclCommunicator() override;
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const;
  int size() const;
  // "NCCL 2.x.y".
  static std::string Version();

  // In place on device memory, on NCCL's own stream; returns when the result is in `data`.
  void AllreduceSum(float* device_data, int64_t count);
  // The allreduces first wait for the device's pending work (kernels on other streams).
  void AllreduceAverage(float* device_data, int64_t count);
  void AllreduceAverage(const std::vector<DeviceBuffer>& buffers) override;
  void Broadcast(void* device_data, int64_t bytes, int root);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace train::distributed

#endif  // TRAIN_DISTRIBUTED_NCCL_COMMUNICATOR_H_
