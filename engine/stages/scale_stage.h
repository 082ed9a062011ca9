// The scale stage: preScale hook, PATCH of /scale when the target differs from the current
// replicas, then the postScale hook (both hooks get CONTRACTS.md section 3's scale input, with
// currentReplicas). Not called for dry runs or disabled decisions. Thread-safe.
#pragma once

#include "engine/cluster.h"
#include "engine/config/config.h"
#include "engine/run_types.h"
#include "engine/stages/hooks.h"

namespace cpa::engine {

class ScaleStage {
 public:
  ScaleStage(const config::Config& config, Cluster& cluster, Hooks& hooks)
      : config_(config), cluster_(cluster), hooks_(hooks) {}

  // Sets decision.applied when the PATCH was sent.
  std::expected<void, StageError> Run(const TargetState& target, const Evaluation& evaluation,
                                      ScaleDecision& decision, RunType run_type,
                                      std::stop_token stop);

  static JsonDocument ScaleInput(const config::Config& config, const TargetState& target,
                                 const Evaluation& evaluation, const ScaleDecision& decision,
                                 RunType run_type);

 private:
  const config::Config& config_;
  Cluster& cluster_;
  Hooks& hooks_;
};

}  // namespace cpa::engine
