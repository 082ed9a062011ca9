#include "common/clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace cpa {
namespace {

using namespace std::chrono_literals;

TEST(CommonClock, ManualClockAdvancesOnlyByHand) {
  ManualClock clock(FromUnixMillis(1'000));
  EXPECT_EQ(ToUnixMillis(clock.Now()), 1'000);
  clock.Advance(2500ms);
  EXPECT_EQ(ToUnixMillis(clock.Now()), 3'500);
  clock.Set(FromUnixMillis(2'000));  // never backwards
  EXPECT_EQ(ToUnixMillis(clock.Now()), 3'500);
}

TEST(CommonClock, ManualSleeperWakesWhenDeadlineReached) {
  ManualClock clock(FromUnixMillis(0));
  std::atomic<bool> woke{false};
  std::jthread sleeper(
      [&](std::stop_token st) { woke = clock.SleepUntil(FromUnixMillis(10'000), st); });
  while (clock.Sleepers() == 0) std::this_thread::yield();
  clock.Advance(5s);
  EXPECT_FALSE(woke);
  clock.Advance(5s);
  sleeper.join();
  EXPECT_TRUE(woke);
}

TEST(CommonClock, StopInterruptsSleep) {
  ManualClock clock;
  std::stop_source stop;
  std::atomic<int> result{-1};
  std::thread t([&] { result = clock.SleepUntil(clock.Now() + 1h, stop.get_token()) ? 1 : 0; });
  while (clock.Sleepers() == 0) std::this_thread::yield();
  stop.request_stop();
  t.join();
  EXPECT_EQ(result, 0);
}

TEST(CommonClock, SystemClockSleepReturnsImmediatelyForPastDeadline) {
  auto& clock = SystemClock::Instance();
  EXPECT_TRUE(clock.SleepUntil(clock.Now() - 1s, {}));
}

// Jump() steps the wall clock only; the monotonic reading, and sleeps on it, follow only the
// time that passes (Advance).
TEST(CommonClock, ManualJumpMovesTheWallClockNotTheMonotonicOne) {
  ManualClock clock(FromUnixMillis(10'000'000));
  const MonotonicTime start = clock.Monotonic();
  clock.Jump(-1h);
  EXPECT_EQ(ToUnixMillis(clock.Now()), 10'000'000 - 3'600'000);
  EXPECT_EQ(clock.Monotonic(), start);
  clock.Jump(24h);
  EXPECT_EQ(clock.Monotonic(), start);
  clock.Advance(5s);
  EXPECT_EQ(clock.Monotonic() - start, 5s);
  EXPECT_EQ(ToUnixMillis(clock.Now()), 10'000'000 - 3'600'000 + 86'400'000 + 5'000);

  std::atomic<bool> woke{false};
  std::jthread sleeper([&](std::stop_token st) { woke = clock.SleepFor(10s, st); });
  while (clock.Sleepers() == 0) std::this_thread::yield();
  clock.Jump(48h);  // no time passed: still asleep
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(woke);
  clock.Advance(10s);
  sleeper.join();
  EXPECT_TRUE(woke);
}

TEST(CommonClock, SystemClockSleepsForADurationOfMonotonicTime) {
  auto& clock = SystemClock::Instance();
  const MonotonicTime start = clock.Monotonic();
  EXPECT_TRUE(clock.SleepFor(20ms, {}));
  EXPECT_GE(clock.Monotonic() - start, 20ms);
  std::stop_source stop;
  stop.request_stop();
  EXPECT_FALSE(clock.SleepFor(1h, stop.get_token()));
}

TEST(CommonClock, Rfc3339) {
  EXPECT_EQ(FormatRfc3339(FromUnixMillis(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(FromUnixMillis(1'795'900'997'123)), "2026-11-28T21:23:17Z");
}

}  // namespace
}  // namespace cpa
