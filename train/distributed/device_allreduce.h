// An allreduce of device (GPU) memory in place, as the gradient averager needs it; the
// implementation is NcclCommunicator (--config=cuda). Plain C++ with no includes, so that
// nvcc-compiled code can implement it.
#ifndef TRAIN_DISTRIBUTED_DEVICE_ALLREDUCE_H_
#define TRAIN_DISTRIBUTED_DEVICE_ALLREDUCE_H_

#include <cstdint>

namespace train::distributed {

class DeviceAllreduce {
 public:
  virtual ~DeviceAllreduce() = default;
  // data[i] = mean over ranks of data[i], in place; `device_data` is the rank's GPU memory.
  virtual void AllreduceAverage(float* device_data, int64_t count) = 0;
};

}  // namespace train::distributed

#endif  // TRAIN_DISTRIBUTED_DEVICE_ALLREDUCE_H_
