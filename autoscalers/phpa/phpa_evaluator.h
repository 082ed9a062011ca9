// The built-in evaluator `phpa`: the predictive HPA (`evaluate: {type: phpa, phpa: {...}}`).
//
// One Evaluate() is: the HPA's raw proposal from the gathered metrics (autoscalers/hpa,
// unchanged), one learned value per run fed to the prediction models (predictor.h: history in
// the store, a restart keeps it), the decision over the HPA's proposal and the ready models'
// predictions (decisionType), then the HPA's normalization (behavior or the legacy rules, min/
// max) on that decision, with the phpa's own HPA history (store series resource "phpa"). The
// audit is the hpa evaluator's ({"desiredReplicas", "metrics", "conditions", "normalization",
// ...}, with "recommendation" the combined decision) plus "phpa": {"hpaReplicas", "learned",
// "models": [...each prediction or why it abstained...], "decisionType", "decision"}.
// Not thread-safe: the engine serializes calls (engine/methods/evaluator.h).
#pragma once

#include <memory>

#include "autoscalers/hpa/hpa_evaluator.h"
#include "autoscalers/hpa/hpa_history.h"
#include "autoscalers/hpa/hpa_options.h"
#include "autoscalers/phpa/phpa_options.h"
#include "autoscalers/phpa/predictor.h"
#include "engine/methods/evaluator.h"

namespace cpa::phpa {

// The HPA and model options of one `phpa` block.
struct PhpaEvaluatorOptions {
  hpa::HpaOptions hpa;
  PhpaOptions phpa;
};

// Parses a `phpa` block (null = {}): the HPA keys (hpa::ReadHpaFields) and the model keys, every
// problem with its key path; unknown keys warn.
PhpaEvaluatorOptions ParsePhpaBlock(const JsonValue* block, const std::string& path,
                                    config::ConfigIssues& issues);
// MethodConfig::options_json of a validated config, with the top-level defaults applied.
Result<PhpaEvaluatorOptions> LoadPhpaEvaluatorOptions(const std::string& options_json,
                                                      const std::string& path,
                                                      const config::Config& config);

// What one phpa run decided (for callers without an engine: the experiment harness).
struct PhpaDecision {
  hpa::HpaDecision hpa;        // recommendation = the combined decision; proposal = the HPA's own
  std::optional<Audit> audit;  // unset when no proposal was computed (disabled, out of range,
                               // invalid metrics): the models were not asked
};

// One run over typed inputs; `record` adds to the histories (false for dry runs).
Result<PhpaDecision> EvaluatePhpa(const PhpaEvaluatorOptions& options, Predictor& predictor,
                                  const engine::TargetState& target,
                                  const std::vector<engine::GatheredMetric>& metrics, TimePoint now,
                                  hpa::HpaHistory& history, bool record);
JsonDocument PhpaDecisionToJson(const PhpaDecision& decision, const PhpaEvaluatorOptions& options);

class PhpaEvaluator final : public engine::Evaluator {
 public:
  PhpaEvaluator(PhpaEvaluatorOptions options, std::unique_ptr<Predictor> predictor,
                std::unique_ptr<hpa::HpaHistory> history);
  const engine::GatherPlan& Plan() const override { return plan_; }
  Result<engine::EvaluatorOutput> Evaluate(const engine::EvaluatorInput& input) override;
  void Scaled(TimePoint at, int from, int to) override;

  const PhpaEvaluatorOptions& options() const { return options_; }
  Predictor& predictor() { return *predictor_; }
  hpa::HpaHistory& history() { return *history_; }

  // The factory of the method type: store-backed histories when the context has a store.
  static Result<std::unique_ptr<engine::Evaluator>> Create(
      const config::MethodConfig& config, const engine::EvaluatorFactoryContext& context);

 private:
  PhpaEvaluatorOptions options_;
  std::unique_ptr<Predictor> predictor_;
  std::unique_ptr<hpa::HpaHistory> history_;
  engine::GatherPlan plan_;
};

// Registers the `phpa` method type (config::RegisterMethodType); called once by cli/.
Status RegisterPhpaMethodType();

}  // namespace cpa::phpa
