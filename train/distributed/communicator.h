// The processes of a data-parallel training run and the collective operations between
// them: rank, size, elementwise sums (allreduce), broadcast, barrier, all-gather of small
// byte strings. WorldCommunicator() is the process-wide one: MPI's world when the process
// was started by mpirun (OpenMPI sets OMPI_COMM_WORLD_SIZE), one process otherwise, so a
// plain `train` needs no MPI at all.
//
// Collectives are called by every rank in the same order, from one thread each (MPI is
// initialised with MPI_THREAD_FUNNELED). A communication failure aborts the whole job with
// MPI's message (MPI_ERRORS_ARE_FATAL), as a rank that stopped would otherwise hang the rest.
#ifndef TRAIN_DISTRIBUTED_COMMUNICATOR_H_
#define TRAIN_DISTRIBUTED_COMMUNICATOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace train::distributed {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Ranks on this machine (for sharing its cores); 1 for one process.
  virtual int local_size() const = 0;
  // This rank's index among the ranks on its machine (0..local_size-1): its GPU.
  virtual int local_rank() const = 0;
  // "one process", "MPI (Open MPI v4.1.4, ...)".
  virtual std::string Description() const = 0;

  // data[i] = the sum of data[i] over every rank, in place, on every rank.
  virtual void AllreduceSum(float* data, int64_t count) = 0;
  virtual void AllreduceSum(double* data, int64_t count) = 0;
  // root's `bytes` bytes at `data` copied into every rank's `data`.
  virtual void Broadcast(void* data, int64_t bytes, int root) = 0;
  virtual void Barrier() = 0;
  // Every rank's `bytes`, by rank, on every rank.
  virtual std::vector<std::string> AllGather(const std::string& bytes) = 0;
  // Ends every rank of the job with `code` (a rank that fails alone must not leave the
  // others waiting in a collective).
  [[noreturn]] virtual void Abort(int code) = 0;
};

// data[i] = the mean of data[i] over every rank.
void AllreduceAverage(Communicator& comm, float* data, int64_t count);
// root's string on every rank.
std::string BroadcastString(Communicator& comm, const std::string& value, int root);

// Whether this process was started by mpirun (OpenMPI's environment).
bool LaunchedUnderMpirun();

// The process-wide communicator (created on first use; MPI is finalized at exit).
Communicator& WorldCommunicator();

// A communicator of this process alone (rank 0 of 1): collectives copy nothing.
std::unique_ptr<Communicator> NewSingleProcessCommunicator();

}  // namespace train::distributed

#endif  // TRAIN_DISTRIBUTED_COMMUNICATOR_H_
