// NcclCommunicator: ncclCommInitRank from an id rank 0 broadcasts over the host
// communicator; collectives on a private stream, synchronized before returning.
#include <cuda_runtime.h>
#include <nccl.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "nn/check.h"
#include "train/distributed/nccl_communicator.h"

namespace train::distributed {
namespace {

#define NCCL_COMMUNICATOR_CHECK_CUDA(call)                                        \
  do {                                                                            \
    const cudaError_t error = (call);                                             \
    NN_CHECK(error == cudaSuccess) << #call << ": " << cudaGetErrorString(error); \
  } while (0)

#define NCCL_COMMUNICATOR_CHECK(call)                                               \
  do {                                                                              \
    const ncclResult_t result = (call);                                             \
    NN_CHECK(result == ncclSuccess) << #call << ": " << ncclGetErrorString(result); \
  } while (0)

// Every buffer reduced in place with `op` on `stream`, grouped into one NCCL launch;
// returns once the results are in the buffers.
void AllreduceInPlace(int device, ncclComm_t comm, cudaStream_t stream,
                      const std::vector<DeviceBuffer>& buffers, ncclRedOp_t op) {
  NCCL_COMMUNICATOR_CHECK_CUDA(cudaSetDevice(device));
  // The data was written by kernels on other streams (the backward pass): wait for them.
  NCCL_COMMUNICATOR_CHECK_CUDA(cudaDeviceSynchronize());
  NCCL_COMMUNICATOR_CHECK(ncclGroupStart());
  for (const DeviceBuffer& buffer : buffers) {
    NCCL_COMMUNICATOR_CHECK(ncclAllReduce(buffer.data, buffer.data,
                                          static_cast<size_t>(buffer.count), ncclFloat32, op,
                                          comm, stream));
  }
  NCCL_COMMUNICATOR_CHECK(ncclGroupEnd());
  NCCL_COMMUNICATOR_CHECK_CUDA(cudaStreamSynchronize(stream));
}

}  // namespace

struct NcclCommunicator::Impl {
  ncclComm_t comm = nullptr;
  cudaStream_t stream = nullptr;
  int rank = 0, size = 1, device = 0;
};

NcclCommunicator::NcclCommunicator(Communicator& host, int cuda_device)
    : impl_(std::make_unique<Impl>()) {
  impl_->rank = host.rank();
  impl_->size = host.size();
  impl_->device = cuda_device;
  ncclUniqueId id;
  if (host.rank() == 0) NCCL_COMMUNICATOR_CHECK(ncclGetUniqueId(&id));
  host.Broadcast(&id, sizeof(id), 0);
  NCCL_COMMUNICATOR_CHECK_CUDA(cudaSetDevice(cuda_device));
  NCCL_COMMUNICATOR_CHECK_CUDA(cudaStreamCreateWithFlags(&impl_->stream, cudaStreamNonBlocking));
  NCCL_COMMUNICATOR_CHECK(ncclCommInitRank(&impl_->comm, host.size(), id, host.rank()));
}

NcclCommunicator::~NcclCommunicator() {
  if (impl_->comm != nullptr) ncclCommDestroy(impl_->comm);
  if (impl_->stream != nullptr) cudaStreamDestroy(impl_->stream);
}

int NcclCommunicator::rank() const { return impl_->rank; }
int NcclCommunicator::size() const { return impl_->size; }

std::string NcclCommunicator::Version() {
  int version = 0;
  ncclGetVersion(&version);
  // NCCL_VERSION(X,Y,Z) = X*10000 + Y*100 + Z since 2.9.
  char text[32];
  std::snprintf(text, sizeof(text), "NCCL %d.%d.%d", version / 10000, version / 100 % 100,
                version % 100);
  return text;
}

void NcclCommunicator::AllreduceSum(float* device_data, int64_t count) {
  AllreduceInPlace(impl_->device, impl_->comm, impl_->stream, {{device_data, count}}, ncclSum);
}

void NcclCommunicator::AllreduceAverage(float* device_data, int64_t count) {
  AllreduceAverage({{device_data, count}});
}

void NcclCommunicator::AllreduceAverage(const std::vector<DeviceBuffer>& buffers) {
  AllreduceInPlace(impl_->device, impl_->comm, impl_->stream, buffers, ncclAvg);
}

void NcclCommunicator::Broadcast(void* device_data, int64_t bytes, int root) {
  NN_CHECK(root >= 0 && root < impl_->size) << "root " << root << " of " << impl_->size;
  NCCL_COMMUNICATOR_CHECK_CUDA(cudaSetDevice(impl_->device));
  NCCL_COMMUNICATOR_CHECK(ncclBroadcast(device_data, device_data, static_cast<size_t>(bytes),
                                        ncclUint8, root, impl_->comm, impl_->stream));
  NCCL_COMMUNICATOR_CHECK_CUDA(cudaStreamSynchronize(impl_->stream));
}

}  // namespace train::distributed
