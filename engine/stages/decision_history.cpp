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

TimePoint MonotonicGuardedHistory::MonotonicNow() const {
  return TimePoint(std::chrono::duration_cast<Duration>(clock_.Monotonic().time_since_epoch()));
}

void MonotonicGuardedHistory::Add(TimePoint at, int target_replicas) {
  if (wall_) wall_->Add(at, target_replicas);
  monotonic_.Add(MonotonicNow(), target_replicas);
}

Result<std::optional<int>> MonotonicGuardedHistory::MaxInWindow(TimePoint now, Duration window) {
  auto held = monotonic_.MaxInWindow(MonotonicNow(), window);
  if (!held || !wall_) return held;
  auto stored = wall_->MaxInWindow(now, window);
  if (!stored) return stored;  // the persisted window cannot be read: the run must not scale
  if (!*held || (*stored && **stored > **held)) return stored;
  return held;
}

}  // namespace cpa::engine
