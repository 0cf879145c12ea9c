// Bucketed gradient averaging and state broadcast over a Communicator.
#include "train/distributed/gradient_sync.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "nn/check.h"
#include "nn/tensor.h"

namespace train::distributed {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The bytes of `tensor` copied to/from host memory at `host`.
void ToHost(const nn::Tensor& tensor, void* host) {
  if (tensor.device().is_cpu()) {
    std::memcpy(host, tensor.raw_data(), tensor.bytes());
  } else {
    const nn::Tensor copy = tensor.To(nn::Device::CPU());
    std::memcpy(host, copy.raw_data(), copy.bytes());
  }
}
void FromHost(const void* host, nn::Tensor* tensor) {
  if (tensor->device().is_cpu()) {
    std::memcpy(tensor->raw_data(), host, tensor->bytes());
  } else {
    nn::Tensor copy = nn::Tensor::Empty(tensor->shape(), tensor->dtype());
    std::memcpy(copy.raw_data(), host, copy.bytes());
    tensor->CopyFrom(copy);
  }
}

}  // namespace

GradientAverager::GradientAverager(Communicator* comm, int64_t bucket_bytes,
                                   DeviceAllreduce* device)
    : comm_(comm),
      device_(device),
      bucket_elements_(std::max<int64_t>(1, bucket_bytes / static_cast<int64_t>(sizeof(float)))) {
  NN_CHECK(comm != nullptr);
}

void GradientAverager::Average(const std::vector<nn::Parameter*>& parameters) {
  if (comm_->size() == 1) return;
  const double start = Now();
  if (device_ != nullptr && !parameters.empty() && parameters.front()->grad.device().is_cuda()) {
    std::vector<DeviceBuffer> buffers;
    for (nn::Parameter* p : parameters) {
      NN_CHECK(p->grad.dtype() == nn::DType::kFloat32 && p->grad.device().is_cuda())
          << "gradients are float32 on the GPU: " << p->grad;
      buffers.push_back({p->grad.data<float>(), p->grad.numel()});
      bytes_ += p->grad.bytes();
    }
    device_->AllreduceAverage(buffers);
    ++calls_;
    seconds_ += Now() - start;
    return;
  }
  // Consecutive parameters fill a bucket up to bucket_elements_; a larger parameter is a
  // bucket of its own.
  std::vector<nn::Parameter*> bucket;
  int64_t elements = 0;
  for (nn::Parameter* p : parameters) {
    NN_CHECK(p->grad.dtype() == nn::DType::kFloat32) << "gradients are float32: " << p->grad;
    const int64_t n = p->grad.numel();
    if (!bucket.empty() && elements + n > bucket_elements_) {
      ReduceBucket(bucket, elements);
      bucket.clear();
      elements = 0;
    }
    bucket.push_back(p);
    elements += n;
  }
  if (!bucket.empty()) ReduceBucket(bucket, elements);
  seconds_ += Now() - start;
}

void GradientAverager::ReduceBucket(const std::vector<nn::Parameter*>& bucket, int64_t elements) {
  buffer_.resize(std::max<size_t>(buffer_.size(), static_cast<size_t>(elements)));
  int64_t offset = 0;
  for (nn::Parameter* p : bucket) {
    ToHost(p->grad, buffer_.data() + offset);
    offset += p->grad.numel();
  }
  AllreduceAverage(*comm_, buffer_.data(), elements);
  offset = 0;
  for (nn::Parameter* p : bucket) {
    FromHost(buffer_.data() + offset, &p->grad);
    offset += p->grad.numel();
  }
  ++calls_;
  bytes_ += elements * static_cast<int64_t>(sizeof(float));
}

void BroadcastModuleState(Communicator& comm, nn::Module& module, int root) {
  if (comm.size() == 1) return;
  std::vector<std::pair<std::string, nn::Tensor*>> state = module.NamedState();
  size_t total = 0;
  for (const auto& [name, tensor] : state) total += tensor->bytes();
  // Same architecture on every rank: the byte count must agree.
  int64_t root_total = static_cast<int64_t>(total);
  comm.Broadcast(&root_total, sizeof(root_total), root);
  NN_CHECK_EQ(root_total, static_cast<int64_t>(total))
      << "BroadcastModuleState: rank " << comm.rank() << " holds a different model";
  std::vector<char> buffer(total);
  size_t offset = 0;
  if (comm.rank() == root) {
    for (const auto& [name, tensor] : state) {
      ToHost(*tensor, buffer.data() + offset);
      offset += tensor->bytes();
    }
  }
  comm.Broadcast(buffer.data(), static_cast<int64_t>(total), root);
  offset = 0;
  for (const auto& [name, tensor] : state) {
    if (comm.rank() != root) FromHost(buffer.data() + offset, tensor);
    offset += tensor->bytes();
  }
  module.NotifyStateChanged();
}

}  // namespace train::distributed
