// An allreduce of device (GPU) memory in place, as the gradient averager needs it; the
// implementation is NcclCommunicator (--config=cuda). Plain C++ (standard headers only), so
// that nvcc-compiled code can implement it.
#ifndef TRAIN_DISTRIBUTED_DEVICE_ALLREDUCE_H_
#define TRAIN_DISTRIBUTED_DEVICE_ALLREDUCE_H_

#include <cstdint>
#include <vector>

namespace train::distributed {

struct DeviceBuffer {
  float* data;  // the rank's GPU memory
  int64_t count;
};

class DeviceAllreduce {
 public:
  virtual ~DeviceAllreduce() = default;
  // data[i] = mean over ranks of data[i], in place, for every buffer: one collective call
  // (one wait for the device's pending work, the buffers' reductions grouped).
  virtual void AllreduceAverage(const std::vector<DeviceBuffer>& buffers) = 0;
};

}  // namespace train::distributed

#endif  // TRAIN_DISTRIBUTED_DEVICE_ALLREDUCE_H_
