// gtest's main under mpirun: every rank runs the tests; ranks other than 0 stay silent
// (no progress lines, no XML report) unless a test fails there.
#include <cstdio>
#include <cstdlib>

#include "gtest/gtest.h"
#include "train/distributed/communicator.h"

int main(int argc, char** argv) {
  train::distributed::Communicator& world = train::distributed::WorldCommunicator();
  if (world.rank() != 0) {
    // Bazel's report files belong to rank 0.
    unsetenv("XML_OUTPUT_FILE");
    unsetenv("TEST_PREMATURE_EXIT_FILE");
  }
  ::testing::InitGoogleTest(&argc, argv);
  if (world.rank() != 0) {
    ::testing::TestEventListeners& listeners = ::testing::UnitTest::GetInstance()->listeners();
    // Keep failures visible: a minimal listener that prints only failed assertions.
    delete listeners.Release(listeners.default_result_printer());
    struct FailurePrinter : ::testing::EmptyTestEventListener {
      int rank;
      explicit FailurePrinter(int r) : rank(r) {}
      void OnTestPartResult(const ::testing::TestPartResult& result) override {
        if (result.failed()) {
          std::fprintf(stderr, "rank %d: %s:%d: %s\n", rank,
                       result.file_name() ? result.file_name() : "?", result.line_number(),
                       result.summary());
        }
      }
    };
    listeners.Append(new FailurePrinter(world.rank()));
  }
  return RUN_ALL_TESTS();
}
