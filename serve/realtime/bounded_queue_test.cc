// BoundedQueue: drop-oldest when full, latest-wins at capacity 1, Close semantics, and a
// producer/consumer pair that accounts for every item.
#include "serve/realtime/bounded_queue.h"

#include <thread>

#include "gtest/gtest.h"

namespace serve::realtime {
namespace {

using std::chrono::milliseconds;

TEST(BoundedQueueTest, FullQueueDropsTheOldest) {
  BoundedQueue<int> queue(2);
  EXPECT_EQ(queue.Push(1), 0);
  EXPECT_EQ(queue.Push(2), 0);
  EXPECT_EQ(queue.Push(3), 1);  // 1 dropped
  EXPECT_EQ(queue.Pop(milliseconds(0)), 2);
  EXPECT_EQ(queue.Pop(milliseconds(0)), 3);
  EXPECT_EQ(queue.Pop(milliseconds(10)), std::nullopt);
  EXPECT_FALSE(queue.closed_and_empty());
}

TEST(BoundedQueueTest, CapacityOneKeepsTheLatest) {
  BoundedQueue<int> slot(1);
  EXPECT_EQ(slot.Push(1), 0);
  EXPECT_EQ(slot.Push(2), 1);
  EXPECT_EQ(slot.Push(3), 1);
  EXPECT_EQ(slot.Pop(milliseconds(0)), 3);
}

TEST(BoundedQueueTest, CloseKeepsWhatIsQueuedThenEnds) {
  BoundedQueue<int> queue(3);
  queue.Push(1);
  queue.Close();
  EXPECT_EQ(queue.Push(2), 0);  // discarded
  EXPECT_FALSE(queue.closed_and_empty());
  EXPECT_EQ(queue.Pop(milliseconds(0)), 1);
  EXPECT_TRUE(queue.closed_and_empty());
  EXPECT_EQ(queue.Pop(milliseconds(1000)), std::nullopt);  // returns at once when closed
}

TEST(BoundedQueueTest, PopWakesOnPushAndOnClose) {
  BoundedQueue<int> queue(1);
  std::thread producer([&] {
    std::this_thread::sleep_for(milliseconds(20));
    queue.Push(7);
    std::this_thread::sleep_for(milliseconds(20));
    queue.Close();
  });
  EXPECT_EQ(queue.Pop(milliseconds(5000)), 7);
  EXPECT_EQ(queue.Pop(milliseconds(5000)), std::nullopt);
  EXPECT_TRUE(queue.closed_and_empty());
  producer.join();
}

// Every pushed item is either popped or counted as dropped, in order.
TEST(BoundedQueueTest, ConcurrentProducerAccountsForEveryItem) {
  BoundedQueue<int> queue(2);
  int dropped = 0;
  std::thread producer([&] {
    for (int i = 0; i < 20000; ++i) dropped += queue.Push(i);
    queue.Close();
  });
  int popped = 0, last = -1;
  while (auto item = queue.Pop(milliseconds(1000))) {
    EXPECT_GT(*item, last);
    last = *item;
    ++popped;
  }
  producer.join();
  EXPECT_EQ(popped + dropped, 20000);
  EXPECT_EQ(last, 19999);
}

}  // namespace
}  // namespace serve::realtime
