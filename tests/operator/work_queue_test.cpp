#include "operator/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace cpa::op {
namespace {

using namespace std::chrono_literals;

TEST(WorkQueueTest, DuplicatesCoalesce) {
  ManualClock clock;
  WorkQueue q(clock);
  q.Add("a");
  q.Add("a");
  q.Add("b");
  EXPECT_EQ(q.Len(), 2u);
  EXPECT_EQ(*q.Get(), "a");
  EXPECT_EQ(*q.Get(), "b");
}

TEST(WorkQueueTest, AKeyIsNeverHandedOutTwiceAtOnce) {
  ManualClock clock;
  WorkQueue q(clock);
  q.Add("a");
  auto first = q.Get();
  ASSERT_EQ(*first, "a");
  q.Add("a");  // changed while processed: queued again after Done
  EXPECT_EQ(q.Len(), 0u);
  q.Done("a");
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(*q.Get(), "a");
  q.Done("a");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, ConcurrentWorkersNeverOverlapOnAKey) {
  ManualClock clock;
  WorkQueue q(clock);
  std::atomic<int> in_flight{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> handled{0};
  std::vector<std::jthread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&](std::stop_token stop) {
      while (auto key = q.Get(stop)) {
        if (in_flight.fetch_add(1) != 0) overlaps.fetch_add(1);
        std::this_thread::yield();
        in_flight.fetch_sub(1);
        handled.fetch_add(1);
        q.Done(*key);
      }
    });
  }
  for (int i = 0; i < 2000; ++i) q.Add("only");
  while (q.Len() != 0) std::this_thread::yield();
  q.ShutDown();
  workers.clear();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_GE(handled.load(), 1);
}

TEST(WorkQueueTest, AddAfterWaitsForTheClock) {
  ManualClock clock;
  WorkQueue q(clock);
  q.AddAfter("a", 5s);
  EXPECT_EQ(q.Len(), 0u);
  EXPECT_EQ(q.WaitingLen(), 1u);
  clock.Advance(4s);
  // Still waiting (nothing may be handed out before 5 s).
  EXPECT_EQ(q.Len(), 0u);
  clock.Advance(1s);
  auto key = q.Get();
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(*key, "a");
  EXPECT_EQ(q.WaitingLen(), 0u);
}

TEST(WorkQueueTest, BackoffDoublesPerKeyUntilForgotten) {
  ManualClock clock;
  WorkQueue q(clock, {.base = 100ms, .max = 1000ms});
  EXPECT_EQ(q.NextBackoff("a"), Duration(100ms));
  q.AddRateLimited("a");
  EXPECT_EQ(q.NextBackoff("a"), Duration(200ms));
  q.AddRateLimited("a");
  q.AddRateLimited("a");
  q.AddRateLimited("a");
  q.AddRateLimited("a");
  EXPECT_EQ(q.NextBackoff("a"), Duration(1000ms));  // capped
  EXPECT_EQ(q.NextBackoff("b"), Duration(100ms));   // per key
  EXPECT_EQ(q.Failures("a"), 5);
  EXPECT_EQ(q.Retries(), 5);
  q.Forget("a");
  EXPECT_EQ(q.NextBackoff("a"), Duration(100ms));
  clock.Advance(100ms);  // the earliest pending time of "a"
  EXPECT_EQ(*q.Get(), "a");
}

TEST(WorkQueueTest, ShutDownWakesGet) {
  ManualClock clock;
  WorkQueue q(clock);
  std::jthread t([&] { EXPECT_FALSE(q.Get().has_value()); });
  q.ShutDown();
}

}  // namespace
}  // namespace cpa::op
