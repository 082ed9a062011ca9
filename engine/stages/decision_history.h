// Where downscale stabilization reads its window: the evaluated targets of recent runs of one
// autoscaler. The window is (now - d, now]: a target exactly d old has expired, as in the
// Kubernetes HPA and the original CPA.
//
// InMemoryDecisionHistory keeps them in memory (lost on restart); StoreDecisionHistory
// (store_decision_history.h) reads the evaluations the record step persisted, so the window
// survives a restart. Implementations are thread-safe.
#pragma once

#include <deque>
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

}  // namespace cpa::engine
