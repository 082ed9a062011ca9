// Injected time.
//
// Clock is the only way project code reads the time or waits for it, so the same engine runs
// live (SystemClock), in tests and in simulation (ManualClock, advanced by hand or by a simulator).
// Times are wall-clock instants (system_clock) because schedules align to the epoch (startTime).
// Both implementations are thread-safe: any thread may call Now() and SleepUntil() concurrently,
// and ManualClock::Advance/Set wake every sleeper whose deadline has been reached.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

namespace cpa {

using TimePoint = std::chrono::system_clock::time_point;
using Duration = std::chrono::system_clock::duration;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  // Blocks until Now() >= deadline or `stop` is requested. Returns false if stopped early.
  virtual bool SleepUntil(TimePoint deadline, std::stop_token stop) = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
  bool SleepUntil(TimePoint deadline, std::stop_token stop) override;
  // A process-wide instance (stateless).
  static SystemClock& Instance();
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint{});
  TimePoint Now() const override;
  bool SleepUntil(TimePoint deadline, std::stop_token stop) override;
  void Advance(Duration by);
  void Set(TimePoint to);  // may not move backwards; earlier values are ignored
  // Number of threads currently blocked in SleepUntil (lets tests wait for a sleeper).
  int Sleepers() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  TimePoint now_;
  int sleepers_ = 0;
};

// Milliseconds since the Unix epoch, the unit of the config's interval/startTime.
int64_t ToUnixMillis(TimePoint t);
TimePoint FromUnixMillis(int64_t ms);
// RFC 3339 in UTC with second precision, as Kubernetes writes timestamps: 2026-11-28T20:43:17Z
// (defined in common/rfc3339.cpp; common/rfc3339.h parses and writes other precisions).
std::string FormatRfc3339(TimePoint t);

}  // namespace cpa
