// What data-parallel training exchanges: the gradients of a step, averaged over every rank
// in buckets (flattened into host buffers of at most `bucket_bytes`, one allreduce each),
// and a module's whole state (parameters and buffers) broadcast from one rank.
//
// The allreduce runs after the backward pass, not overlapped with it: the detector's
// Backward is one call with no per-layer hook, and on the machines measured the exchange is
// a few percent of a step (README "Training on several processes/machines").
#ifndef TRAIN_DISTRIBUTED_GRADIENT_SYNC_H_
#define TRAIN_DISTRIBUTED_GRADIENT_SYNC_H_

#include <cstdint>
#include <vector>

#include "nn/module.h"
#include "train/distributed/communicator.h"
#include "train/distributed/device_allreduce.h"

namespace train::distributed {

constexpr int64_t kDefaultBucketBytes = int64_t{25} << 20;  // as PyTorch DDP

class GradientAverager {
 public:
  // With `device` (NCCL), gradients held on a GPU are averaged there, every parameter's
  // allreduce grouped into one collective call, never copied to the host; without it they go
  // through host buckets over `comm` (MPI), whatever their device.
  explicit GradientAverager(Communicator* comm, int64_t bucket_bytes = kDefaultBucketBytes,
                            DeviceAllreduce* device = nullptr);

  // grad = mean over ranks of grad, for every parameter (float32, any device). Every rank
  // passes the same parameters in the same order. Nothing to do for one rank.
  void Average(const std::vector<nn::Parameter*>& parameters);

  // Totals since construction.
  int64_t allreduce_calls() const { return calls_; }
  int64_t bytes_reduced() const { return bytes_; }
  double seconds() const { return seconds_; }

 private:
  void ReduceBucket(const std::vector<nn::Parameter*>& bucket, int64_t elements);

  Communicator* comm_;
  DeviceAllreduce* device_;
  int64_t bucket_elements_;
  std::vector<float> buffer_;
  int64_t calls_ = 0, bytes_ = 0;
  double seconds_ = 0;
};

// Every rank's `module` state (parameters and buffers, any dtype and device) becomes
// root's. Ranks must hold the same architecture.
void BroadcastModuleState(Communicator& comm, nn::Module& module, int root = 0);

}  // namespace train::distributed

#endif  // TRAIN_DISTRIBUTED_GRADIENT_SYNC_H_
