#include "engine/stages/scale_stage.h"

#include "engine/config/config_loader.h"

namespace cpa::engine {

JsonDocument ScaleStage::ScaleInput(const config::Config& config, const TargetState& target,
                                    const Evaluation& evaluation, const ScaleDecision& decision,
                                    RunType run_type) {
  JsonDocument doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  JsonValue ev(rapidjson::kObjectType);
  ev.AddMember("targetReplicas", evaluation.target_replicas, a);
  doc.AddMember("evaluation", ev, a);
  doc.AddMember("resource", JsonValue(*target.object, a), a);
  doc.AddMember("scaleTargetRef",
                config.scale_target_ref ? config::ScaleTargetRefToJson(*config.scale_target_ref, a)
                                        : JsonValue(rapidjson::kObjectType),
                a);
  doc.AddMember("namespace", JsonString(config.namespace_, a), a);
  doc.AddMember("minReplicas", config.min_replicas, a);
  doc.AddMember("maxReplicas", config.max_replicas, a);
  doc.AddMember("currentReplicas", decision.current_replicas, a);
  doc.AddMember("targetReplicas", decision.target_replicas, a);
  doc.AddMember("runType", JsonString(RunTypeName(run_type), a), a);
  return doc;
}

std::expected<void, StageError> ScaleStage::Run(const TargetState& target,
                                                const Evaluation& evaluation,
                                                ScaleDecision& decision, RunType run_type,
                                                std::stop_token stop) {
  JsonDocument input = ScaleInput(config_, target, evaluation, decision, run_type);
  if (auto r = RunHook(hooks_.pre_scale.get(), "preScale", input, stop); !r) {
    return std::unexpected(r.error());
  }
  if (decision.target_replicas != decision.current_replicas) {
    if (auto s =
            cluster_.Scale(*config_.scale_target_ref, config_.namespace_, decision.target_replicas);
        !s) {
      return std::unexpected(StageError{"scale", s.error()});
    }
    decision.applied = true;
  }
  if (auto r = RunHook(hooks_.post_scale.get(), "postScale", input, stop); !r) {
    return std::unexpected(r.error());
  }
  return {};
}

}  // namespace cpa::engine
