// The communicator and gradient averaging on real MPI processes (mpirun -np 2, see BUILD):
// sums of odd sizes, broadcast, all-gather of unequal strings, bucketed gradient averages
// with buckets smaller than, equal to and larger than the parameters, state broadcast.
#include "train/distributed/communicator.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nn/module.h"
#include "nn/tensor.h"
#include "train/distributed/gradient_sync.h"

namespace train::distributed {
namespace {

Communicator& World() { return WorldCommunicator(); }

TEST(CommunicatorTest, StartedByMpirunWithTwoRanks) {
  EXPECT_TRUE(LaunchedUnderMpirun());
  EXPECT_EQ(World().size(), 2);
  EXPECT_GE(World().rank(), 0);
  EXPECT_LT(World().rank(), 2);
  EXPECT_EQ(World().local_size(), 2);
  EXPECT_EQ(World().local_rank(), World().rank());  // both ranks on this machine
  EXPECT_NE(World().Description().find("MPI"), std::string::npos) << World().Description();
}

TEST(CommunicatorTest, AllreduceSumsOddSizes) {
  const int rank = World().rank(), size = World().size();
  for (int64_t count : {1, 3, 7, 1000, 1000003}) {
    std::vector<float> values(count);
    std::vector<double> doubles(count);
    for (int64_t i = 0; i < count; ++i) {
      values[i] = static_cast<float>((i % 97) + 1000 * rank);
      doubles[i] = 0.25 * i + rank;
    }
    World().AllreduceSum(values.data(), count);
    World().AllreduceSum(doubles.data(), count);
    for (int64_t i = 0; i < count; ++i) {
      // sum over r of (i % 97) + 1000 r = size * (i % 97) + 1000 * size (size - 1) / 2
      ASSERT_EQ(values[i], static_cast<float>(size * (i % 97) + 500 * size * (size - 1)))
          << "count " << count << " index " << i;
      ASSERT_EQ(doubles[i], size * 0.25 * i + size * (size - 1) / 2.0) << i;
    }
  }
  std::vector<float> mean = {static_cast<float>(rank), 2.0f};
  AllreduceAverage(World(), mean.data(), 2);
  EXPECT_EQ(mean[0], (size - 1) / 2.0f);
  EXPECT_EQ(mean[1], 2.0f);
}

TEST(CommunicatorTest, BroadcastAndAllGather) {
  const int rank = World().rank();
  for (int root = 0; root < World().size(); ++root) {
    std::vector<int> data(5, rank == root ? 42 + root : -1);
    World().Broadcast(data.data(), data.size() * sizeof(int), root);
    EXPECT_EQ(data, std::vector<int>(5, 42 + root));
    EXPECT_EQ(BroadcastString(World(), rank == root ? "from root" : "", root), "from root");
  }
  // Unequal lengths, one of them empty.
  const std::vector<std::string> all = World().AllGather(std::string(rank * 3, 'a' + rank));
  ASSERT_EQ(all.size(), static_cast<size_t>(World().size()));
  for (int r = 0; r < World().size(); ++r) EXPECT_EQ(all[r], std::string(r * 3, 'a' + r));
  World().Barrier();
}

// A module with parameters of awkward sizes and a buffer.
class Awkward : public nn::Module {
 public:
  explicit Awkward(int rank) {
    for (int64_t n : {3, 17, 1, 100, 5}) {
      std::vector<float> values(n);
      for (int64_t i = 0; i < n; ++i) values[i] = static_cast<float>(i + 10 * rank);
      parameters_.push_back(
          RegisterParameter("p" + std::to_string(n), nn::Tensor::FromVector({n}, values)));
    }
    RegisterBuffer("count", nn::Tensor::FromVector({2}, {1.0f * rank, 7.0f}));
  }
  std::vector<nn::Parameter*> parameters_;
};

TEST(GradientAveragerTest, BucketsOfEverySizeGiveTheMean) {
  const int rank = World().rank(), size = World().size();
  // 4 bytes (one float per bucket), 64 bytes (several parameters, some split across
  // buckets), the default (one bucket).
  for (int64_t bucket_bytes : {int64_t{4}, int64_t{64}, kDefaultBucketBytes}) {
    Awkward module(rank);
    for (nn::Parameter* p : module.parameters_) {
      float* g = p->grad.data<float>();
      for (int64_t i = 0; i < p->grad.numel(); ++i) g[i] = static_cast<float>(i * (rank + 1));
    }
    GradientAverager averager(&World(), bucket_bytes);
    averager.Average(module.parameters_);
    for (nn::Parameter* p : module.parameters_) {
      const float* g = p->grad.data<float>();
      for (int64_t i = 0; i < p->grad.numel(); ++i) {
        // mean over r of i (r + 1) = i (size + 1) / 2
        ASSERT_FLOAT_EQ(g[i], i * (size + 1) / 2.0f) << "bucket " << bucket_bytes;
      }
    }
    EXPECT_EQ(averager.bytes_reduced(), 126 * 4);
    if (bucket_bytes == kDefaultBucketBytes) {
      EXPECT_EQ(averager.allreduce_calls(), 1);
    } else if (bucket_bytes == 4) {
      EXPECT_EQ(averager.allreduce_calls(), 5);  // one per parameter
    }
  }
}

TEST(BroadcastModuleStateTest, EveryRankGetsRootsParametersAndBuffers) {
  Awkward module(World().rank());
  BroadcastModuleState(World(), module, /*root=*/1);
  for (auto& [name, tensor] : module.NamedState()) {
    const float* v = tensor->data<float>();
    if (name == "count") {
      EXPECT_EQ(v[0], 1.0f);
      EXPECT_EQ(v[1], 7.0f);
    } else {
      for (int64_t i = 0; i < tensor->numel(); ++i) ASSERT_EQ(v[i], i + 10.0f) << name;
    }
  }
}

}  // namespace
}  // namespace train::distributed
