#include "engine/stages/stabilize_stage.h"

#include <algorithm>

namespace cpa::engine {

std::expected<ScaleDecision, StageError> StabilizeStage::Run(int current_replicas,
                                                             const Evaluation& evaluation,
                                                             TimePoint now, bool record) {
  ScaleDecision d;
  d.current_replicas = current_replicas;
  d.evaluated_replicas = evaluation.target_replicas;
  if (config_.min_replicas != 0 && current_replicas == 0) {
    d.disabled = true;
    d.target_replicas = 0;
    return d;
  }
  int target = std::clamp(evaluation.target_replicas, config_.min_replicas, config_.max_replicas);
  if (config_.downscale_stabilization_s > 0) {
    if (record) history_.Add(now, target);
    auto held = history_.MaxInWindow(now, std::chrono::seconds(config_.downscale_stabilization_s));
    if (!held) return std::unexpected(StageError{"stabilize", held.error()});
    // Evaluations are stored unclamped; clamping is monotonic, so clamp(max) == max(clamp).
    if (*held) {
      target = std::max(target, std::clamp(**held, config_.min_replicas, config_.max_replicas));
    }
  }
  d.target_replicas = target;
  return d;
}

}  // namespace cpa::engine
