#include "common/clock.h"

#include <ctime>
#include <string>
#include <thread>

#include <fmt/format.h>

namespace cpa {

TimePoint SystemClock::Now() const { return std::chrono::system_clock::now(); }

bool SystemClock::SleepUntil(TimePoint deadline, std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  // wait_until on system_clock may oversleep if the wall clock jumps back; re-check in slices.
  while (!stop.stop_requested()) {
    auto now = Now();
    if (now >= deadline) return true;
    auto slice = std::min<Duration>(deadline - now, std::chrono::seconds(1));
    cv.wait_for(lock, stop, slice, [] { return false; });
  }
  return false;
}

MonotonicTime SystemClock::Monotonic() const { return std::chrono::steady_clock::now(); }

bool SystemClock::SleepUntilMonotonic(MonotonicTime deadline, std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  cv.wait_until(lock, stop, deadline, [] { return false; });
  return !stop.stop_requested() && Monotonic() >= deadline;
}

SystemClock& SystemClock::Instance() {
  static SystemClock clock;
  return clock;
}

// The monotonic reading starts at the same count as the wall clock (any start would do).
ManualClock::ManualClock(TimePoint start)
    : now_(start),
      monotonic_(std::chrono::duration_cast<MonotonicTime::duration>(start.time_since_epoch())) {}

TimePoint ManualClock::Now() const {
  std::lock_guard lock(mu_);
  return now_;
}

MonotonicTime ManualClock::Monotonic() const {
  std::lock_guard lock(mu_);
  return monotonic_;
}

bool ManualClock::SleepUntilMonotonic(MonotonicTime deadline, std::stop_token stop) {
  std::unique_lock lock(mu_);
  ++sleepers_;
  bool reached = cv_.wait(lock, stop, [&] { return monotonic_ >= deadline; });
  --sleepers_;
  return reached;
}

bool ManualClock::SleepUntil(TimePoint deadline, std::stop_token stop) {
  std::unique_lock lock(mu_);
  ++sleepers_;
  bool reached = cv_.wait(lock, stop, [&] { return now_ >= deadline; });
  --sleepers_;
  return reached;
}

void ManualClock::Advance(Duration by) {
  {
    std::lock_guard lock(mu_);
    now_ += by;
    if (by > Duration::zero())
      monotonic_ += std::chrono::duration_cast<MonotonicTime::duration>(by);
  }
  cv_.notify_all();
}

void ManualClock::Set(TimePoint to) {
  {
    std::lock_guard lock(mu_);
    if (to > now_) {
      monotonic_ += std::chrono::duration_cast<MonotonicTime::duration>(to - now_);
      now_ = to;
    }
  }
  cv_.notify_all();
}

void ManualClock::Jump(Duration by) {
  {
    std::lock_guard lock(mu_);
    now_ += by;
  }
  cv_.notify_all();
}

int ManualClock::Sleepers() const {
  std::lock_guard lock(mu_);
  return sleepers_;
}

int64_t ToUnixMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint FromUnixMillis(int64_t ms) {
  return TimePoint(std::chrono::duration_cast<Duration>(std::chrono::milliseconds(ms)));
}

}  // namespace cpa
