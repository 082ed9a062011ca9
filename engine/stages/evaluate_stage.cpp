#include "engine/stages/evaluate_stage.h"

#include <limits>

#include "common/log.h"
#include "engine/config/json_reader.h"
#include "engine/stages/gather_stage.h"

namespace cpa::engine {

JsonDocument EvaluateStage::EvaluateInput(const TargetState& target,
                                          const std::vector<Metric>& metrics, RunType run_type) {
  JsonDocument doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("metrics", GatherStage::MetricsToJson(metrics, a), a);
  doc.AddMember("resource", JsonValue(*target.object, a), a);
  doc.AddMember("runType", JsonString(RunTypeName(run_type), a), a);
  return doc;
}

Result<Evaluation> EvaluateStage::ParseEvaluation(std::string_view output) {
  auto bad = [&](std::string_view why) {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "evaluation must be {{\"targetReplicas\": <non-negative integer>}}: {}; "
                      "received {}",
                      why, QuoteForError(output));
  };
  auto doc = ParseJson(output);
  if (!doc) return bad(doc.error().message);
  if (!doc->IsObject()) return bad(fmt::format("got a JSON {}", JsonTypeName(*doc)));
  const JsonValue* target = FindMember(*doc, "targetReplicas");
  if (target == nullptr) return bad("the field targetReplicas is missing");
  auto n = config::AsInteger(*target);
  if (!target->IsNumber()) return bad(fmt::format("targetReplicas is a {}", JsonTypeName(*target)));
  if (!n) return bad("targetReplicas is not a whole number");
  if (*n < 0) return bad("targetReplicas is negative");
  if (*n > std::numeric_limits<int>::max()) return bad("targetReplicas is too large");
  return Evaluation{static_cast<int>(*n), {}};
}

std::expected<Evaluation, StageError> EvaluateStage::Run(const TargetState& target,
                                                         const std::vector<Metric>& metrics,
                                                         RunType run_type, std::stop_token stop) {
  JsonDocument input = EvaluateInput(target, metrics, run_type);
  if (auto r = RunHook(hooks_.pre_evaluate.get(), "preEvaluate", input, stop); !r) {
    return std::unexpected(r.error());
  }
  std::string json = ToJson(input);
  log::V(4, "evaluate input: {}", json);
  auto out = evaluate_.Call(json, stop);
  if (!out) return std::unexpected(StageError{"evaluate", out.error()});
  auto evaluation = ParseEvaluation(*out);
  if (!evaluation) return std::unexpected(StageError{"evaluate", evaluation.error()});
  log::V(3, "evaluation: targetReplicas {}", evaluation->target_replicas);
  auto& a = input.GetAllocator();
  JsonValue ev(rapidjson::kObjectType);
  ev.AddMember("targetReplicas", evaluation->target_replicas, a);
  input.AddMember("evaluation", ev, a);
  if (auto r = RunHook(hooks_.post_evaluate.get(), "postEvaluate", input, stop); !r) {
    return std::unexpected(r.error());
  }
  return *evaluation;
}

std::expected<EvaluatorOutput, StageError> EvaluateStage::RunBuiltin(Evaluator& evaluator,
                                                                     const EvaluatorInput& input,
                                                                     Hooks& hooks,
                                                                     std::stop_token stop) {
  const bool hooked = hooks.pre_evaluate || hooks.post_evaluate;
  JsonDocument hook_input(rapidjson::kObjectType);
  if (hooked) {
    auto& a = hook_input.GetAllocator();
    hook_input.AddMember("metrics", JsonValue(rapidjson::kArrayType), a);
    if (input.target.object) {
      hook_input.AddMember("resource", JsonValue(*input.target.object, a), a);
    }
    hook_input.AddMember("runType", JsonString(RunTypeName(input.run_type), a), a);
    JsonValue k8s(rapidjson::kArrayType);
    for (const auto& m : input.metrics) {
      if (m.metric) k8s.PushBack(kubernetes_metrics::ToJson(*m.metric, a), a);
    }
    hook_input.AddMember("kubernetesMetrics", k8s, a);
  }
  if (auto r = RunHook(hooks.pre_evaluate.get(), "preEvaluate", hook_input, stop); !r) {
    return std::unexpected(r.error());
  }
  auto out = evaluator.Evaluate(input);
  if (!out) return std::unexpected(StageError{"evaluate", out.error()});
  log::V(3, "evaluation: targetReplicas {}", out->evaluation.target_replicas);
  if (hooks.post_evaluate) {
    auto& a = hook_input.GetAllocator();
    JsonValue ev(rapidjson::kObjectType);
    ev.AddMember("targetReplicas", out->decision.target_replicas, a);
    hook_input.AddMember("evaluation", ev, a);
    if (out->audit) hook_input.AddMember("audit", JsonValue(*out->audit, a), a);
    if (auto r = RunHook(hooks.post_evaluate.get(), "postEvaluate", hook_input, stop); !r) {
      return std::unexpected(r.error());
    }
  }
  return std::move(*out);
}

}  // namespace cpa::engine
