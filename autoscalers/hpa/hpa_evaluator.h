// The built-in evaluator `hpa`: the Kubernetes HPA algorithm (v1.33+) as an engine::Evaluator.
//
// One Evaluate() is one upstream reconcile: the initial recommendation, the current-replicas
// range checks, the raw proposal (replica_calculator.h), the normalization (normalize.h) with
// the history (hpa_history.h: the store when the autoscaler has one, else memory), and an audit
// {"desiredReplicas", "currentReplicas", "recommendation", "metrics", "conditions", "reason",
// ...} of the decision. EvaluateHpa() is the same decision for callers without an engine (the
// phpa, the experiment harness). Not thread-safe: the engine serializes calls (evaluator.h).
#pragma once

#include <memory>

#include "autoscalers/hpa/hpa_history.h"
#include "autoscalers/hpa/hpa_options.h"
#include "autoscalers/hpa/normalize.h"
#include "autoscalers/hpa/replica_calculator.h"
#include "engine/methods/evaluator.h"

namespace cpa::hpa {

// What one reconcile decided.
struct HpaDecision {
  int current_replicas = 0;
  int recommendation = 0;    // pre-normalization desired replicas (recorded in the history)
  bool recommended = false;  // false: no recommendation was computed (disabled, out of range,
                             // invalid metrics); nothing was recorded
  int desired_replicas = 0;  // the final count
  bool disabled = false;     // current 0 with minReplicas != 0
  std::optional<Proposal> proposal;
  std::optional<Normalization> normalization;
  std::vector<Condition> conditions;  // AbleToScale, ScalingActive, ScalingLimited (as set)
  std::string reason;
};

// One reconcile over typed inputs. `record` adds the recommendation (and the first-seen one) to
// the history.
Result<HpaDecision> EvaluateHpa(const HpaOptions& options, const engine::TargetState& target,
                                const std::vector<engine::GatheredMetric>& metrics, TimePoint now,
                                HpaHistory& history, bool record);
// The audit document of a decision (the `cpa evaluate` output and the API's "audit").
JsonDocument DecisionToJson(const HpaDecision& decision, const HpaOptions& options);
// Sets `c`, replacing a condition of the same type.
void SetCondition(std::vector<Condition>& conditions, Condition c);

// Shared by the evaluators built on the HPA (`hpa`, `phpa`; `name` prefixes their log lines):
// the engine's view of a decision (evaluation, decision, each metric's current value) with
// `audit`, which is also added to the history when the run records.
engine::EvaluatorOutput ToEvaluatorOutput(const HpaDecision& decision,
                                          std::shared_ptr<JsonDocument> audit,
                                          const engine::EvaluatorInput& input, HpaHistory& history,
                                          std::string_view name);
// An applied scale from `from` to `to` as a scale event of the history (a failure is logged:
// the scale has happened).
void RecordScaleEvent(HpaHistory& history, TimePoint at, int from, int to, std::string_view name);

class HpaEvaluator final : public engine::Evaluator {
 public:
  HpaEvaluator(HpaOptions options, std::unique_ptr<HpaHistory> history);
  const engine::GatherPlan& Plan() const override { return plan_; }
  Result<engine::EvaluatorOutput> Evaluate(const engine::EvaluatorInput& input) override;
  void Scaled(TimePoint at, int from, int to) override;

  const HpaOptions& options() const { return options_; }
  HpaHistory& history() { return *history_; }

  // The factory of the method type (store-backed history when the context has a store).
  static Result<std::unique_ptr<engine::Evaluator>> Create(
      const config::MethodConfig& config, const engine::EvaluatorFactoryContext& context);

 private:
  HpaOptions options_;
  std::unique_ptr<HpaHistory> history_;
  engine::GatherPlan plan_;
};

// The GatherPlan of a set of options (the phpa reuses it).
engine::GatherPlan PlanOf(const HpaOptions& options);

// Logs why a run made no decision (a proposal of -1): a warning when an invalid metric's cause is
// not in the log yet, else at verbosity 1 only. The engine already logs (as a warning) every
// metric it could not read (GatheredMetric::error), so a metrics API outage is one line per run;
// a metric that was read but could not be used (no samples of the pods, a missing request) is
// known only to the proposal. `evaluator` prefixes the line ("hpa", "phpa").
void LogNoDecision(std::string_view evaluator, const Proposal& proposal,
                   const std::vector<engine::GatheredMetric>& metrics, const std::string& reason);

// Registers the `hpa` method type (config::RegisterMethodType). The cli/ composition root calls
// it once before loading any config; a second call is an error.
Status RegisterHpaMethodType();

}  // namespace cpa::hpa
