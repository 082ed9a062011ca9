// One autoscaler: a config, its methods and hooks, and the staged run
// target -> gather -> evaluate -> stabilize -> record -> scale (DESIGN.md), each stage runnable
// alone.
//
// Run() is fail-safe: any method, hook, API or store error ends the run with a StageError naming
// the stage and cause, and nothing is scaled; the next run starts from scratch. Runs of one
// Autoscaler are serialized (scheduled and API-triggered runs never interleave); different
// Autoscalers run concurrently. The Cluster and Clock must outlive it.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "engine/cluster.h"
#include "engine/config/config.h"
#include "engine/fallback.h"
#include "engine/methods/evaluator.h"
#include "engine/methods/method.h"
#include "engine/run_types.h"
#include "engine/stages/decision_history.h"
#include "engine/stages/events.h"
#include "engine/stages/hooks.h"
#include "engine/status_reporter.h"
#include "kube/client.h"
#include "prometheus/client.h"
#include "store/store.h"

namespace cpa::engine {

struct AutoscalerOptions {
  int metric_parallelism = 4;  // per-pod metric calls at once
  // The record step writes every run here (metrics, evaluation, decision); when set and no
  // `history` is given, downscale stabilization reads its window from it. Must outlive the
  // Autoscaler. Null: nothing is recorded and the window is kept in memory.
  store::Store* store = nullptr;
  // Where kubernetesMetricSpecs are fetched from (the metrics APIs). Required when the config
  // has kubernetesMetricSpecs; must outlive the Autoscaler.
  kube::Api* kube_api = nullptr;
  std::unique_ptr<DecisionHistory> history;  // default: from `store`, else in memory
  // In-process methods used instead of the config's metric/evaluate (embedding, benchmarks).
  std::unique_ptr<Method> metric;
  std::unique_ptr<Method> evaluate;
  // Built-in evaluators (evaluate.type: hpa): history to start from instead of the store's
  // (`cpa evaluate` snapshots). Must outlive Create().
  const EvaluatorHistorySeed* history_seed = nullptr;
  // Kubernetes Events about runs (engine/stages/events.h); null: none. Must outlive the Autoscaler.
  EventSink* events = nullptr;
  // The CustomPodAutoscaler status to keep current (engine/status_reporter.h); null: none.
  // Must outlive the Autoscaler.
  StatusSink* status = nullptr;
  // `cpa run --observe`: observe-only whatever the config's `mode` says.
  bool observe = false;
};

class Autoscaler {
 public:
  static Result<std::unique_ptr<Autoscaler>> Create(config::Config config, Cluster& cluster,
                                                    Clock& clock, AutoscalerOptions options = {});

  // A full run. Dry runs (kApiDryRun) gather and evaluate, compute the decision without
  // recording it, and never scale or call the scale hooks.
  std::expected<RunResult, StageError> Run(RunType run_type, std::stop_token stop = {});
  // Only the target and gather stages (the API's GET /metrics).
  std::expected<std::vector<Metric>, StageError> GatherMetrics(RunType run_type,
                                                               std::stop_token stop = {});

  const config::Config& config() const { return config_; }
  // "namespace/name" of the target: the autoscaler's stable id.
  const std::string& id() const { return id_; }
  // Observe-only (config `mode: observe` or AutoscalerOptions::observe): nothing is scaled.
  bool observe() const { return observe_; }

 private:
  Autoscaler(config::Config config, Cluster& cluster, Clock& clock);
  std::expected<TargetState, StageError> ResolveTarget();
  // The kubernetesMetrics array for this run; null document when none are configured.
  std::expected<std::optional<JsonDocument>, StageError> KubernetesMetrics(
      const TargetState& target);
  std::expected<void, StageError> RunStages(RunResult& result, std::stop_token stop);
  // The stages with a built-in evaluator (evaluator.h): Kubernetes gatherer, evaluator, scale.
  std::expected<std::vector<GatheredMetric>, StageError> GatherForEvaluator(
      const TargetState& target, RunType run_type, std::stop_token stop);
  std::expected<void, StageError> RunBuiltin(RunResult& result, const TargetState& target,
                                             std::stop_token stop);
  // The record stage, before anything is scaled: the run's metrics and evaluation in one
  // transaction. Stabilization windows read the stored evaluations, so a run whose evaluation
  // cannot be stored fails (stage "record") and scales nothing: scaling without it would let a
  // later run undo the window. Dry runs and runs without a store skip it.
  std::expected<void, StageError> RecordEvaluation(const RunResult& result);
  // After the run: its decision (and, when the record stage did not run, its metrics and
  // evaluation), also for failed runs. A failure here is logged; the scale already happened.
  void Record(const RunResult& result, const StageError* error);
  // After the fallback threshold of failed scheduled runs: scale to fallback.replicas.
  void ApplyFallback(RunResult& result, StageError& error);

  config::Config config_;
  Cluster& cluster_;
  Clock& clock_;
  std::string id_;
  int metric_parallelism_ = 4;
  std::unique_ptr<Method> metric_;
  std::unique_ptr<Method> evaluate_;
  std::unique_ptr<Evaluator> evaluator_;  // built-in evaluator; then metric_/evaluate_ are unset
  Hooks hooks_;
  std::unique_ptr<DecisionHistory> history_;
  store::Store* store_ = nullptr;
  kube::Api* kube_api_ = nullptr;
  EventSink* events_ = nullptr;
  StatusSink* status_ = nullptr;
  bool observe_ = false;
  FallbackPolicy fallback_{std::nullopt};
  std::unique_ptr<prometheus::Client> prometheus_;  // from the config's `prometheus` section
  std::mutex run_mu_;
  bool evaluation_recorded_ = false;  // this run's record stage wrote it (under run_mu_)
};

}  // namespace cpa::engine
