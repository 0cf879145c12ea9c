// Communicator: one process, and OpenMPI's world (MPI_Init_thread on first use when started
// by mpirun).
#include "train/distributed/communicator.h"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "nn/check.h"

namespace train::distributed {
namespace {

// MPI counts are ints: large buffers go in pieces.
constexpr int64_t kMaxChunk = int64_t{1} << 28;

class SingleProcessCommunicator : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_size() const override { return 1; }
  int local_rank() const override { return 0; }
  std::string Description() const override { return "one process"; }
  void AllreduceSum(float*, int64_t) override {}
  void AllreduceSum(double*, int64_t) override {}
  void Broadcast(void*, int64_t, int root) override { NN_CHECK_EQ(root, 0); }
  void Barrier() override {}
  std::vector<std::string> AllGather(const std::string& bytes) override { return {bytes}; }
  [[noreturn]] void Abort(int code) override { std::exit(code); }
};

class MpiCommunicator : public Communicator {
 public:
  MpiCommunicator() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      int provided = 0;
      MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
      NN_CHECK_GE(provided, MPI_THREAD_FUNNELED) << "MPI gives thread level " << provided;
      std::atexit([] {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (!finalized) MPI_Finalize();
      });
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local);
    MPI_Comm_size(local, &local_size_);
    MPI_Comm_rank(local, &local_rank_);
    MPI_Comm_free(&local);
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int length = 0;
    MPI_Get_library_version(version, &length);
    std::string text(version, length);
    text = text.substr(0, text.find_first_of(",\n"));
    description_ = absl::StrCat("MPI (", text, "), ", size_, " ranks");
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_size() const override { return local_size_; }
  int local_rank() const override { return local_rank_; }
  std::string Description() const override { return description_; }

  void AllreduceSum(float* data, int64_t count) override {
    for (int64_t begin = 0; begin < count; begin += kMaxChunk) {
      const int n = static_cast<int>(std::min(kMaxChunk, count - begin));
      MPI_Allreduce(MPI_IN_PLACE, data + begin, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    }
  }
  void AllreduceSum(double* data, int64_t count) override {
    for (int64_t begin = 0; begin < count; begin += kMaxChunk) {
      const int n = static_cast<int>(std::min(kMaxChunk, count - begin));
      MPI_Allreduce(MPI_IN_PLACE, data + begin, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    }
  }
  void Broadcast(void* data, int64_t bytes, int root) override {
    NN_CHECK(root >= 0 && root < size_) << "root " << root << " of " << size_;
    char* p = static_cast<char*>(data);
    for (int64_t begin = 0; begin < bytes; begin += kMaxChunk) {
      const int n = static_cast<int>(std::min(kMaxChunk, bytes - begin));
      MPI_Bcast(p + begin, n, MPI_BYTE, root, MPI_COMM_WORLD);
    }
  }
  // Polls with sleeps rather than MPI's busy wait: ranks waiting for rank 0 (reading the
  // videos, say) leave the cores to it.
  void Barrier() override {
    MPI_Request request;
    MPI_Ibarrier(MPI_COMM_WORLD, &request);
    for (int done = 0;;) {
      MPI_Test(&request, &done, MPI_STATUS_IGNORE);
      if (done) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  std::vector<std::string> AllGather(const std::string& bytes) override {
    NN_CHECK_LT(bytes.size(), static_cast<size_t>(kMaxChunk)) << "AllGather is for small results";
    int mine = static_cast<int>(bytes.size());
    std::vector<int> sizes(size_), offsets(size_);
    MPI_Allgather(&mine, 1, MPI_INT, sizes.data(), 1, MPI_INT, MPI_COMM_WORLD);
    int64_t total = 0;
    for (int r = 0; r < size_; ++r) {
      offsets[r] = static_cast<int>(total);
      total += sizes[r];
    }
    NN_CHECK_LT(total, kMaxChunk) << "AllGather is for small results";
    std::string all(total, '\0');
    MPI_Allgatherv(bytes.data(), mine, MPI_BYTE, all.data(), sizes.data(), offsets.data(), MPI_BYTE,
                   MPI_COMM_WORLD);
    std::vector<std::string> result;
    for (int r = 0; r < size_; ++r) result.push_back(all.substr(offsets[r], sizes[r]));
    return result;
  }
  [[noreturn]] void Abort(int code) override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::exit(code);
  }

 private:
  int rank_ = 0, size_ = 1, local_size_ = 1, local_rank_ = 0;
  std::string description_;
};

}  // namespace

void AllreduceAverage(Communicator& comm, float* data, int64_t count) {
  comm.AllreduceSum(data, count);
  if (comm.size() == 1) return;
  const float scale = 1.0f / comm.size();
  for (int64_t i = 0; i < count; ++i) data[i] *= scale;
}

std::string BroadcastString(Communicator& comm, const std::string& value, int root) {
  int64_t size = static_cast<int64_t>(value.size());
  comm.Broadcast(&size, sizeof(size), root);
  std::string result = comm.rank() == root ? value : std::string(size, '\0');
  comm.Broadcast(result.data(), size, root);
  return result;
}

bool LaunchedUnderMpirun() {
  const char* size = std::getenv("OMPI_COMM_WORLD_SIZE");
  return size != nullptr && *size != '\0';
}

Communicator& WorldCommunicator() {
  static Communicator* world = []() -> Communicator* {
    if (LaunchedUnderMpirun()) return new MpiCommunicator();
    return new SingleProcessCommunicator();
  }();
  return *world;
}

std::unique_ptr<Communicator> NewSingleProcessCommunicator() {
  return std::make_unique<SingleProcessCommunicator>();
}

}  // namespace train::distributed
