// The seam for built-in evaluators (`evaluate.type: hpa`, `phpa`): logic that runs inside the
// process on typed inputs instead of JSON through a Method.
//
// A built-in evaluator is created once per Autoscaler by its method type's `create_evaluator`
// factory (method_types.h) with an EvaluatorFactoryContext (config, autoscaler id, store, clock,
// optional history seed). Each run the engine resolves the target, gathers the evaluator's
// GatherPlan with the Kubernetes gatherer (engine/kubernetes_metrics), calls Evaluate() with an
// EvaluatorInput, and then scales to the output's `decision` — the engine's own stabilize stage
// is NOT applied: an evaluator that declares `normalizes` (the HPA family) does min/max clamping,
// stabilization windows and rate limits itself, from its own history. After a successful scale
// the engine calls Scaled(), so the evaluator can record the scale event.
// Evaluators are owned by their Autoscaler; the engine serializes the calls of one Autoscaler
// (Evaluate and Scaled never run concurrently on one evaluator).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "common/json.h"
#include "engine/config/config.h"
#include "engine/kubernetes_metrics/kubernetes_metric.h"
#include "engine/kubernetes_metrics/pod_grouping.h"
#include "engine/run_types.h"

namespace cpa::store {
class Store;
}

namespace cpa::engine {

// What the engine gathers for the evaluator before each run.
struct GatherPlan {
  std::vector<config::MetricSpec> specs;
  kubernetes_metrics::ReadinessPeriods periods;
};

// One spec of the plan after gathering: the metric, or why it could not be fetched.
struct GatheredMetric {
  config::MetricSpec spec;
  std::optional<kubernetes_metrics::KubernetesMetric> metric;
  std::optional<Error> error;  // set when `metric` is not
};

// A time-stamped replica count: a recommendation, or a scale event's replica change (+ up).
struct TimedReplicas {
  TimePoint time;
  int replicas = 0;
};

// History handed in from outside (the `history` of a `cpa evaluate` snapshot).
struct EvaluatorHistorySeed {
  std::vector<TimedReplicas> recommendations;
  std::vector<TimedReplicas> scale_events;
};

struct EvaluatorFactoryContext {
  const config::Config& config;
  std::string autoscaler_id;                   // "namespace/name"
  store::Store* store = nullptr;               // null: history kept in memory
  const EvaluatorHistorySeed* seed = nullptr;  // prefilled in-memory history (cpa evaluate)
};

struct EvaluatorInput {
  const TargetState& target;
  const std::vector<GatheredMetric>& metrics;  // one per GatherPlan spec, in order
  TimePoint now;
  RunType run_type = RunType::kScaler;
  bool record = true;  // false (dry runs): compute without adding to the history
};

struct EvaluatorOutput {
  // The recommendation before normalization: returned as the run's evaluation.
  Evaluation evaluation;
  // The decision after the evaluator's own min/max, windows and rate limits.
  ScaleDecision decision;
  // Per-metric current values, recorded as the run's metrics ({"resource": metric name,
  // "value": current value}).
  std::vector<Metric> metrics;
  // Why: per-metric proposals, conditions, which limit clipped the result. Shown in the log
  // (verbosity >= 1), the API's evaluation reply and stored. Null when none.
  std::shared_ptr<const JsonDocument> audit;
};

class Evaluator {
 public:
  virtual ~Evaluator() = default;
  virtual const GatherPlan& Plan() const = 0;
  // A failure ends the run in stage "evaluate"; nothing is scaled.
  virtual Result<EvaluatorOutput> Evaluate(const EvaluatorInput& input) = 0;
  // The target was scaled from `from` to `to` replicas at `at` (not called for dry runs).
  virtual void Scaled(TimePoint at, int from, int to) = 0;
};

}  // namespace cpa::engine
