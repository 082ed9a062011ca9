// The evaluate stage: calls the evaluate method with {"metrics", "resource", "runType"} and
// parses its output strictly as {"targetReplicas": N} (N a non-negative integer), with the
// preEvaluate/postEvaluate hooks. Anything else is an error that quotes what came back.
// Built-in evaluators (evaluator.h) run through RunBuiltin with the same hooks: preEvaluate gets
// {"metrics": [], "resource", "runType", "kubernetesMetrics"}, postEvaluate adds "evaluation" and
// "audit". Thread-safe when its Methods are.
#pragma once

#include "engine/methods/evaluator.h"
#include "engine/methods/method.h"
#include "engine/run_types.h"
#include "engine/stages/hooks.h"

namespace cpa::engine {

class EvaluateStage {
 public:
  EvaluateStage(Method& evaluate, Hooks& hooks) : evaluate_(evaluate), hooks_(hooks) {}

  std::expected<Evaluation, StageError> Run(const TargetState& target,
                                            const std::vector<Metric>& metrics, RunType run_type,
                                            std::stop_token stop);

  static JsonDocument EvaluateInput(const TargetState& target, const std::vector<Metric>& metrics,
                                    RunType run_type);
  // A built-in evaluator's run. `kubernetes_metrics` is the gathered plan as JSON (for hooks).
  static std::expected<EvaluatorOutput, StageError> RunBuiltin(Evaluator& evaluator,
                                                               const EvaluatorInput& input,
                                                               Hooks& hooks, std::stop_token stop);
  // Parses user-logic output; the error quotes the output.
  static Result<Evaluation> ParseEvaluation(std::string_view output);

 private:
  Method& evaluate_;
  Hooks& hooks_;
};

}  // namespace cpa::engine
