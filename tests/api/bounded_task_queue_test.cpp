#include "api/bounded_task_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <thread>

namespace cpa::api {
namespace {

TEST(ApiBoundedTaskQueue, FullQueueHoldsTheProducerUntilAWorkerIsFree) {
  std::atomic<int> ran{0};
  std::latch release(1);
  std::atomic<bool> third_enqueued{false};
  {
    BoundedTaskQueue queue(/*threads=*/1, /*max_pending=*/1);
    std::latch first_running(1);
    queue.enqueue([&] {
      first_running.count_down();
      release.wait();
      ++ran;
    });
    first_running.wait();           // the only worker is busy
    queue.enqueue([&] { ++ran; });  // fills the queue
    std::jthread producer([&] {
      queue.enqueue([&] { ++ran; });  // must wait for space
      third_enqueued = true;
    });
    // While the worker is blocked nothing can make space, so the producer cannot have returned.
    EXPECT_FALSE(third_enqueued);
    release.count_down();
    producer.join();
    EXPECT_TRUE(third_enqueued);
    queue.shutdown();  // runs what is queued, then joins
    EXPECT_EQ(ran, 3);
  }
}

}  // namespace
}  // namespace cpa::api
