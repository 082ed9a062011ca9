// How pods count towards a Kubernetes metric: the HPA's groupPods, as the Go Custom Pod
// Autoscaler (k8shorizmetrics) applies it, plus ready-pod counting and request sums.
//
// Rules (per pod, in this order): being deleted (metadata.deletionTimestamp) or phase Failed:
// skipped (in no group, not counted); phase Pending: ignored; no sample: missing; for the
// resource "cpu" only: ignored when it has no Ready condition or no status.startTime, or, while
// startTime + cpuInitializationPeriod is after `now`, when it is not Ready or its sample was
// taken before one window had passed since the Ready condition last changed, or, after that
// period, when it is not Ready and never became ready within initialReadinessDelay of starting;
// otherwise ready. Pure functions over Pod JSON; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "common/json.h"
#include "engine/kubernetes_metrics/kubernetes_metric.h"

namespace cpa::engine::kubernetes_metrics {

using PodList = std::vector<std::shared_ptr<const JsonDocument>>;

struct PodGroups {
  int64_t ready_pod_count = 0;
  std::set<std::string> ignored_pods;
  std::set<std::string> missing_pods;
};

struct ReadinessPeriods {
  Duration cpu_initialization_period = std::chrono::minutes(5);
  Duration initial_readiness_delay = std::chrono::seconds(30);
};

PodGroups GroupPods(const PodList& pods, const PodMetricsInfo& metrics, std::string_view resource,
                    const ReadinessPeriods& periods, TimePoint now);

// Pods in phase Running whose Ready condition is "True" (the original's ready count for Object
// and External metrics).
int64_t CountReadyPods(const PodList& pods);

// Pod name -> sum of spec.containers[].resources.requests[resource] in milli-units. With
// `container` set, only that container counts. A container without the request is an error.
Result<std::map<std::string, int64_t>> PodRequests(const PodList& pods, std::string_view resource,
                                                   std::string_view container = {});

}  // namespace cpa::engine::kubernetes_metrics
