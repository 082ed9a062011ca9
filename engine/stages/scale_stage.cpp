#include "engine/stages/scale_stage.h"

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
  JsonValue ref(rapidjson::kObjectType);
  if (config.scale_target_ref) {
    ref.AddMember("apiVersion", JsonString(config.scale_target_ref->api_version, a), a);
    ref.AddMember("kind", JsonString(config.scale_target_ref->kind, a), a);
    ref.AddMember("name", JsonString(config.scale_target_ref->name, a), a);
  }
  doc.AddMember("scaleTargetRef", ref, a);
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
