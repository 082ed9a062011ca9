// The stabilize stage: clamps the evaluation to [minReplicas, maxReplicas] and applies downscale
// stabilization (the target is the maximum of all targets of the last downscaleStabilization
// seconds, this one included). minReplicas != 0 with a target at 0 replicas means autoscaling is
// disabled for this run. `record` false (dry runs) computes without adding to the history.
// Thread-safe when its DecisionHistory is.
#pragma once

#include "common/clock.h"
#include "engine/config/config.h"
#include "engine/run_types.h"
#include "engine/stages/decision_history.h"

namespace cpa::engine {

class StabilizeStage {
 public:
  StabilizeStage(const config::Config& config, DecisionHistory& history)
      : config_(config), history_(history) {}

  // Fails (stage "stabilize") only when the history cannot be read: scaling down without the
  // window could undo stabilization.
  std::expected<ScaleDecision, StageError> Run(int current_replicas, const Evaluation& evaluation,
                                               TimePoint now, bool record);

 private:
  const config::Config& config_;
  DecisionHistory& history_;
};

}  // namespace cpa::engine
