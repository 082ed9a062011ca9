#include "engine/stages/decision_history.h"

namespace cpa::engine {

void InMemoryDecisionHistory::Add(TimePoint at, int target_replicas) {
  std::lock_guard lock(mu_);
  entries_.emplace_back(at, target_replicas);
  while (!entries_.empty() && entries_.front().first <= at - keep_) entries_.pop_front();
}

Result<std::optional<int>> InMemoryDecisionHistory::MaxInWindow(TimePoint now, Duration window) {
  std::lock_guard lock(mu_);
  std::optional<int> best;
  for (const auto& [at, target] : entries_) {
    if (at > now - window && at <= now && (!best || target > *best)) best = target;
  }
  return best;
}

}  // namespace cpa::engine
