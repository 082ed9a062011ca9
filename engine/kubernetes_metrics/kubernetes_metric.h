// The typed result of gathering one `kubernetesMetricSpecs` entry, and its JSON form.
//
// Mirrors the Go Custom Pod Autoscaler's k8smetric.Metric: the current replica count, the spec
// it answers, and exactly one of resource / pods / object / external. Values are milli-units
// (resource.Quantity.MilliValue()), as the original's. ToJson writes the original's field
// names (docs/kubernetes-metrics.md). Plain values; copyable; thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "common/clock.h"
#include "common/json.h"
#include "engine/config/metric_spec.h"

namespace cpa::engine::kubernetes_metrics {

// One pod's sample: when it was taken, over which window, and its value in milli-units.
struct PodMetric {
  TimePoint timestamp;
  std::chrono::nanoseconds window{0};
  int64_t value = 0;
};
using PodMetricsInfo = std::map<std::string, PodMetric>;  // pod name -> sample

// Resource and ContainerResource specs.
struct ResourceMetric {
  PodMetricsInfo pod_metrics_info;  // ignored pods removed
  // Pod name -> summed requests (milli) of the resource; only for Utilization targets.
  std::optional<std::map<std::string, int64_t>> requests;
  int64_t ready_pod_count = 0;
  std::set<std::string> ignored_pods;
  std::set<std::string> missing_pods;
  int64_t total_pods = 0;
  TimePoint timestamp;  // of the first item the metrics API returned
};

// Pods specs (custom.metrics.k8s.io, one value per pod).
struct PodsMetric {
  PodMetricsInfo pod_metrics_info;
  int64_t ready_pod_count = 0;
  std::set<std::string> ignored_pods;  // pending pods
  std::set<std::string> missing_pods;
  int64_t total_pods = 0;
  TimePoint timestamp;
};

// `current`: `value` for Value targets, `average_value` for AverageValue targets.
struct MetricValueStatus {
  std::optional<int64_t> value;
  std::optional<int64_t> average_value;
};

// Object and External specs share a shape.
struct ValueMetric {
  MetricValueStatus current;
  std::optional<int64_t> ready_pod_count;  // Value targets only
  TimePoint timestamp;
};

// Ours: what a `type: Prometheus` spec's query returned (docs/prometheus.md). The value the HPA
// rules use is in `external` (milli-units), as for an External metric.
struct PrometheusResult {
  std::string query;    // as sent, placeholders replaced ({{pod}}: the first pod's query)
  double value = 0;     // the reduced value (sum over pods for a per-pod query)
  int64_t samples = 0;  // samples it came from (0: emptyResultValue was used)
  std::map<std::string, double> pod_values;  // per-pod queries: pod -> value
};

struct KubernetesMetric {
  int current_replicas = 0;
  config::MetricSpec spec;
  std::optional<ResourceMetric> resource;  // Resource and ContainerResource
  std::optional<PodsMetric> pods;
  std::optional<ValueMetric> object;
  std::optional<ValueMetric> external;
  std::optional<PrometheusResult> prometheus;  // type Prometheus (with `external`)
};

// {"current_replicas": N, "spec": {...}, "resource"|"pods"|"object"|"external": {...}}
JsonValue ToJson(const KubernetesMetric& metric, JsonAllocator& a);

// Go's time.Time JSON form (RFC 3339 with nanoseconds, trailing zeros dropped), in UTC:
// "2026-11-28T20:43:17Z", "2026-11-28T20:43:17.25Z".
std::string FormatGoTime(TimePoint t);

}  // namespace cpa::engine::kubernetes_metrics
