// Injected time.
//
// Clock is the only way project code reads the time or waits for it, so the same engine runs
// live (SystemClock), in tests and in simulation (ManualClock, advanced by hand or by a simulator).
// Two readings: Now() is the wall clock (system_clock: what is stored, logged, sent to the API
// server, and what startTime aligns to); it may jump either way when the system time is set.
// Monotonic() never jumps (steady_clock): measure durations and schedule with it
// (SleepUntilMonotonic, SleepFor), so a wall-clock step neither stalls nor floods a loop.
// Both implementations are thread-safe: any thread may call Now() and the sleeps concurrently,
// and ManualClock::Advance/Set/Jump wake every sleeper whose deadline has been reached.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

namespace cpa {

using TimePoint = std::chrono::system_clock::time_point;
using Duration = std::chrono::system_clock::duration;
// An instant on the monotonic clock: only differences between two of them mean anything.
using MonotonicTime = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  // The wall clock.
  virtual TimePoint Now() const = 0;
  // The monotonic clock: never goes back, does not follow changes of the system time.
  virtual MonotonicTime Monotonic() const = 0;
  // Blocks until Now() >= deadline or `stop` is requested. Returns false if stopped early.
  // A wall deadline moves with the wall clock: to wait a duration, use SleepFor.
  virtual bool SleepUntil(TimePoint deadline, std::stop_token stop) = 0;
  // Blocks until Monotonic() >= deadline or `stop` is requested. Returns false if stopped early.
  virtual bool SleepUntilMonotonic(MonotonicTime deadline, std::stop_token stop) = 0;
  // Blocks for `duration` of monotonic time (or until `stop`). Returns false if stopped early.
  bool SleepFor(Duration duration, std::stop_token stop) {
    return SleepUntilMonotonic(
        Monotonic() + std::chrono::duration_cast<MonotonicTime::duration>(duration), stop);
  }
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
  MonotonicTime Monotonic() const override;
  bool SleepUntil(TimePoint deadline, std::stop_token stop) override;
  bool SleepUntilMonotonic(MonotonicTime deadline, std::stop_token stop) override;
  // A process-wide instance (stateless).
  static SystemClock& Instance();
};

// Advance() and Set() move both readings together (time passing); Jump() moves only the wall
// clock, either way, as when the system time is stepped (NTP, an operator, a VM restore).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint{});
  TimePoint Now() const override;
  MonotonicTime Monotonic() const override;
  bool SleepUntil(TimePoint deadline, std::stop_token stop) override;
  bool SleepUntilMonotonic(MonotonicTime deadline, std::stop_token stop) override;
  void Advance(Duration by);
  void Set(TimePoint to);  // may not move backwards; earlier values are ignored
  void Jump(Duration by);  // the wall clock only; `by` may be negative
  // Number of threads currently blocked in either sleep (lets tests wait for a sleeper).
  int Sleepers() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  TimePoint now_;
  MonotonicTime monotonic_;
  int sleepers_ = 0;
};

// Milliseconds since the Unix epoch, the unit of the config's interval/startTime.
int64_t ToUnixMillis(TimePoint t);
TimePoint FromUnixMillis(int64_t ms);
// RFC 3339 in UTC with second precision, as Kubernetes writes timestamps: 2026-11-28T20:43:17Z
// (defined in common/rfc3339.cpp; common/rfc3339.h parses and writes other precisions).
std::string FormatRfc3339(TimePoint t);

}  // namespace cpa
