// The `kubernetesMetrics` gatherer: fetches every `kubernetesMetricSpecs` entry of a config from
// the Kubernetes metrics APIs, as the Go Custom Pod Autoscaler did before each metric stage.
//
// Pods are the run's TargetState.pods (listed by the scale's selector); the metrics APIs are
// queried with TargetState.selector in config.namespace_. Each spec yields one element of the
// array (docs/kubernetes-metrics.md). A spec that fails: with requireKubernetesMetrics the whole
// call fails with an error naming the spec's index and the cause; otherwise the spec is logged
// (warning) and left out, so the array may be shorter than the specs (or empty).
// Stateless; thread-safe when the kube::Api is.
#pragma once

#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "common/json.h"
#include "engine/config/config.h"
#include "engine/kubernetes_metrics/kubernetes_metric.h"
#include "engine/kubernetes_metrics/pod_grouping.h"
#include "engine/run_types.h"
#include "kube/client.h"

namespace cpa::prometheus {
class Client;
}

namespace cpa::engine {

// One spec. Errors carry the cause only (no spec index). `prometheus` queries `type: Prometheus`
// specs (engine/kubernetes_metrics/prometheus_metric.h); null: such a spec is an error.
Result<kubernetes_metrics::KubernetesMetric> GatherKubernetesMetric(
    kube::Api& api, const config::MetricSpec& spec, const std::string& name_space,
    const TargetState& target, const kubernetes_metrics::ReadinessPeriods& periods, TimePoint now,
    prometheus::Client* prometheus = nullptr);

// Every spec of config.kubernetes_metric_specs, applying requireKubernetesMetrics.
Result<std::vector<kubernetes_metrics::KubernetesMetric>> GatherKubernetesMetricList(
    kube::Api& api, const config::Config& config, const TargetState& target, TimePoint now,
    prometheus::Client* prometheus = nullptr);

// The same, as the JSON array handed to the metric stage as "kubernetesMetrics".
Result<JsonDocument> GatherKubernetesMetrics(kube::Api& api, const config::Config& config,
                                             const TargetState& target, TimePoint now,
                                             prometheus::Client* prometheus = nullptr);

}  // namespace cpa::engine
