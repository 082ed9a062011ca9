// One autoscaler: a config, its methods and hooks, and the staged run
// target -> gather -> evaluate -> stabilize -> scale (DESIGN.md), each stage runnable alone.
//
// Run() is fail-safe: any method, hook or API error ends the run with a StageError naming the
// stage and cause, and nothing is scaled; the next run starts from scratch. Runs of one
// Autoscaler are serialized (scheduled and API-triggered runs never interleave); different
// Autoscalers run concurrently. The Cluster and Clock must outlive it.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "engine/cluster.h"
#include "engine/config/config.h"
#include "engine/methods/method.h"
#include "engine/run_types.h"
#include "engine/stages/decision_history.h"
#include "engine/stages/hooks.h"

namespace cpa::engine {

struct AutoscalerOptions {
  int metric_parallelism = 4;                // per-pod metric calls at once
  std::unique_ptr<DecisionHistory> history;  // default: in memory
  // In-process methods used instead of the config's metric/evaluate (embedding, benchmarks).
  std::unique_ptr<Method> metric;
  std::unique_ptr<Method> evaluate;
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

 private:
  Autoscaler(config::Config config, Cluster& cluster, Clock& clock);
  std::expected<TargetState, StageError> ResolveTarget();

  config::Config config_;
  Cluster& cluster_;
  Clock& clock_;
  std::string id_;
  int metric_parallelism_ = 4;
  std::unique_ptr<Method> metric_;
  std::unique_ptr<Method> evaluate_;
  Hooks hooks_;
  std::unique_ptr<DecisionHistory> history_;
  std::mutex run_mu_;
};

}  // namespace cpa::engine
