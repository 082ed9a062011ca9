// Reading the Kubernetes metrics APIs' answers into samples.
//
// metrics.k8s.io/v1beta1 PodMetricsList -> per-pod sums of a resource's container usage;
// custom.metrics.k8s.io/v1beta2 MetricValueList and external.metrics.k8s.io/v1beta1
// ExternalMetricValueList -> values. Values are milli-units; windows follow the HPA's metrics
// client (a custom metric without windowSeconds has a 1 minute window). A malformed answer is
// kUnavailable (as kube/ treats a malformed response). Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "common/json.h"
#include "engine/kubernetes_metrics/kubernetes_metric.h"

namespace cpa::engine::kubernetes_metrics {

struct PodMetricsSample {
  PodMetricsInfo metrics;
  TimePoint timestamp;  // of the first item, as the HPA reports it
};

// Sums `resource` over each pod's containers; a pod whose containers are empty or lack the
// resource is left out (it becomes "missing"). With `container` set, only that container
// counts, and a pod without it in its metrics is an error (as the HPA's ContainerResource).
// An empty list is an error ("no metrics returned from resource metrics API").
Result<PodMetricsSample> ReadPodMetricsList(const JsonValue& list, std::string_view resource,
                                            std::string_view container = {});

struct MetricValueItem {
  std::string described_name;  // describedObject.name ("" for external metrics)
  TimePoint timestamp;
  std::chrono::nanoseconds window{std::chrono::minutes(1)};
  int64_t value = 0;  // milli
};

// The items of a MetricValueList or ExternalMetricValueList (possibly none).
Result<std::vector<MetricValueItem>> ReadMetricValueList(const JsonValue& list);

// Go's time.ParseDuration ("30s", "1m30s", "10.5s", "250ms"), as metav1.Duration is written.
Result<std::chrono::nanoseconds> ParseGoDuration(std::string_view text);

}  // namespace cpa::engine::kubernetes_metrics
