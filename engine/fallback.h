// The fallback policy (config key `fallback`, opt-in): counts consecutive failed scheduled runs
// and, from the failureThreshold-th on, names the replica count to scale to: `replicas`, or the
// current count when that is higher and allowScaleDown is false. A successful run resets the
// count. Not thread-safe: the Autoscaler calls it under its run lock.
#pragma once

#include <optional>

#include "engine/config/config.h"

namespace cpa::engine {

class FallbackPolicy {
 public:
  explicit FallbackPolicy(std::optional<config::FallbackConfig> config)
      : config_(std::move(config)) {}

  bool enabled() const { return config_.has_value(); }
  void OnSuccess() { consecutive_failures_ = 0; }
  // Counts a failure; true when the threshold is reached (the caller then reads the target's
  // current replicas and asks Target()).
  bool OnFailure() {
    ++consecutive_failures_;
    return config_ && consecutive_failures_ >= config_->failure_threshold;
  }
  // The replicas to scale to from `current`; nullopt when nothing is to change.
  std::optional<int> Target(int current) const {
    if (!config_) return std::nullopt;
    const int target =
        config_->allow_scale_down ? config_->replicas : std::max(config_->replicas, current);
    if (target == current) return std::nullopt;
    return target;
  }
  int consecutive_failures() const { return consecutive_failures_; }

 private:
  std::optional<config::FallbackConfig> config_;
  int consecutive_failures_ = 0;
};

}  // namespace cpa::engine
