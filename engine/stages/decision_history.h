// Where downscale stabilization reads its window: the evaluated targets of recent runs of one
// autoscaler. The window is (now - d, now]: a target exactly d old has expired, as in the
// Kubernetes HPA and the original CPA.
//
// InMemoryDecisionHistory keeps them in memory (lost on restart); StoreDecisionHistory
// (store_decision_history.h) reads the evaluations the record step persisted, so the window
// survives a restart. Both measure the window on the wall clock; MonotonicGuardedHistory adds
// this process's own targets on the monotonic clock, so a step of the system time cannot empty
// the window. Implementations are thread-safe.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "common/clock.h"
#include "common/error.h"

namespace cpa::engine {

class DecisionHistory {
 public:
  virtual ~DecisionHistory() = default;
  // Called by the stabilize stage for every non-dry run with the run's evaluated target.
  virtual void Add(TimePoint at, int target_replicas) = 0;
  // The largest target recorded in (now - window, now]; nullopt when none.
  virtual Result<std::optional<int>> MaxInWindow(TimePoint now, Duration window) = 0;
};

class InMemoryDecisionHistory final : public DecisionHistory {
 public:
  // Entries older than `keep` before the newest are dropped.
  explicit InMemoryDecisionHistory(Duration keep) : keep_(keep) {}
  void Add(TimePoint at, int target_replicas) override;
  Result<std::optional<int>> MaxInWindow(TimePoint now, Duration window) override;

 private:
  Duration keep_;
  std::mutex mu_;
  std::deque<std::pair<TimePoint, int>> entries_;
};

// Wraps a wall-clock history (or none) and keeps the targets added through it on the monotonic
// clock as well: MaxInWindow is the larger of the two windows. After the wall clock jumps back
// (stored targets look like the future) or forward (they look older than the window), the targets
// of the last `window` of real time still hold, so a clock step never causes a downscale; the
// wall-clock window alone still carries history across a restart. Thread-safe; `clock` must
// outlive it.
class MonotonicGuardedHistory final : public DecisionHistory {
 public:
  MonotonicGuardedHistory(Clock& clock, std::unique_ptr<DecisionHistory> wall, Duration keep)
      : clock_(clock), wall_(std::move(wall)), monotonic_(keep) {}
  void Add(TimePoint at, int target_replicas) override;
  Result<std::optional<int>> MaxInWindow(TimePoint now, Duration window) override;

 private:
  // The monotonic reading on the TimePoint axis InMemoryDecisionHistory uses.
  TimePoint MonotonicNow() const;
  Clock& clock_;
  std::unique_ptr<DecisionHistory> wall_;  // may be null
  InMemoryDecisionHistory monotonic_;
};

}  // namespace cpa::engine
