// Allreduce and broadcast of GPU buffers over NVIDIA NCCL, for data-parallel training on
// GPUs (--config=cuda only; tools/cuda.bzl): one NCCL communicator over the ranks of a host
// Communicator (MPI), which carries NCCL's bootstrap id from rank 0. Each rank drives one
// GPU. Plain C++ (no CUDA types): pointers are device pointers (nn::Tensor::raw_data() of
// a CUDA tensor).
//
// Status: compile-checked here (no GPU on the build machines); not yet used by the trainer,
// whose GradientAverager still goes through host buffers over MPI.
#ifndef TRAIN_DISTRIBUTED_NCCL_COMMUNICATOR_H_
#define TRAIN_DISTRIBUTED_NCCL_COMMUNICATOR_H_

#include <cstdint>
#include <memory>
#include <string>

#include "train/distributed/communicator.h"

namespace train::distributed {

class NcclCommunicator {
 public:
  // Every rank of `host` calls this (a collective), with the CUDA device it drives.
  // Failures (no GPU, NCCL errors) abort with NCCL's message, as every other rank would
  // wait otherwise.
  NcclCommunicator(Communicator& host, int cuda_device);
  ~NcclCommunicator();
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const;
  int size() const;
  // "NCCL 2.x.y".
  static std::string Version();

  // In place on device memory, on NCCL's own stream; returns when the result is in `data`.
  void AllreduceSum(float* device_data, int64_t count);
  void AllreduceAverage(float* device_data, int64_t count);
  void Broadcast(void* device_data, int64_t bytes, int root);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace train::distributed

#endif  // TRAIN_DISTRIBUTED_NCCL_COMMUNICATOR_H_
