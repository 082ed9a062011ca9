// Where downscale stabilization reads its window: the targets of recent runs of one autoscaler.
//
// InMemoryDecisionHistory keeps them in memory (lost on restart); the store-backed history
// (store/) persists them. Implementations are thread-safe.
#pragma once

#include <deque>
#include <mutex>
#include <optional>
#include <utility>

#include "common/clock.h"

namespace cpa::engine {

class DecisionHistory {
 public:
  virtual ~DecisionHistory() = default;
  virtual void Add(TimePoint at, int target_replicas) = 0;
  // The largest target recorded at or after `since`; nullopt when none.
  virtual std::optional<int> MaxSince(TimePoint since) = 0;
};

class InMemoryDecisionHistory final : public DecisionHistory {
 public:
  // Entries older than `keep` before the newest are dropped.
  explicit InMemoryDecisionHistory(Duration keep) : keep_(keep) {}
  void Add(TimePoint at, int target_replicas) override;
  std::optional<int> MaxSince(TimePoint since) override;

 private:
  Duration keep_;
  std::mutex mu_;
  std::deque<std::pair<TimePoint, int>> entries_;
};

}  // namespace cpa::engine
