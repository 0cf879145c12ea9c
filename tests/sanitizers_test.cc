// Proves that `--config=asan` really instruments the build: under the sanitizers a heap
// overflow and signed overflow must kill the process with a report. Without sanitizers
// the test checks nothing and says so.
#include <cstdlib>
#include <limits>

#include "gtest/gtest.h"

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif

int ReadPastEnd(volatile int index) {
  int* buffer = static_cast<int*>(std::malloc(4 * sizeof(int)));
  buffer[0] = 1;
  const int value = buffer[index];
  std::free(buffer);
  return value;
}

int AddOne(volatile int x) { return x + 1; }

TEST(SanitizersDeathTest, HeapOverflowIsReported) {
  if (!kAsan) GTEST_SKIP() << "not an ASan build (use --config=asan)";
  // UBSan's object-size check may see the bad load before ASan's shadow memory does.
  EXPECT_DEATH(ReadPastEnd(4),
               "AddressSanitizer: heap-buffer-overflow|insufficient space for an object");
}

TEST(SanitizersDeathTest, SignedOverflowIsReported) {
  if (!kAsan) GTEST_SKIP() << "not a UBSan build (use --config=asan)";
  EXPECT_DEATH(
      {
        volatile int result = AddOne(std::numeric_limits<int>::max());
        (void)result;
      },
      "signed integer overflow");
}

}  // namespace
