// The gather stage: calls the metric method per pod or once per target (runMode), with the
// preMetric/postMetric hooks, and returns the metrics in pod order.
//
// Input JSON (CONTRACTS.md section 3): {"resource": <pod or target>, "runType": "..."}; each
// output is wrapped as {"resource": "<name>", "value": "<output>"}. Per-pod calls run with at
// most `parallelism` at once; any failure fails the stage (the first by pod order is reported).
// Thread-safe when its Methods are.
#pragma once

#include <vector>

#include "engine/config/config.h"
#include "engine/methods/method.h"
#include "engine/run_types.h"
#include "engine/stages/hooks.h"

namespace cpa::engine {

class GatherStage {
 public:
  GatherStage(config::RunMode mode, int parallelism, Method& metric, Hooks& hooks)
      : mode_(mode), parallelism_(parallelism), metric_(metric), hooks_(hooks) {}

  // `kubernetes_metrics` (a JSON array, or null when none are configured) is added to every
  // metric and metric-hook input as "kubernetesMetrics".
  std::expected<std::vector<Metric>, StageError> Run(const TargetState& target, RunType run_type,
                                                     std::stop_token stop,
                                                     const JsonValue* kubernetes_metrics = nullptr);

  // {"resource": <object>, "runType": "..."}
  static JsonDocument MetricInput(const JsonValue& resource, RunType run_type,
                                  const JsonValue* kubernetes_metrics = nullptr);
  // [{"resource": "...", "value": "..."}...]
  static JsonValue MetricsToJson(const std::vector<Metric>& metrics, JsonAllocator& a);

 private:
  config::RunMode mode_;
  int parallelism_;
  Method& metric_;
  Hooks& hooks_;
};

}  // namespace cpa::engine
