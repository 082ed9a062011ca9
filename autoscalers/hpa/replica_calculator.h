// The HPA's raw proposal (upstream replica_calculator.go + computeReplicasForMetrics): one
// replica count per metric, the largest wins.
//
// STABLE API (the `phpa` calls ComputeProposal for its HPA baseline). Inputs are typed: the
// target's pods and replica counts, and each metric as the engine's Kubernetes gatherer produced
// it (pods already grouped into ready / unready / missing with the evaluator's
// cpuInitializationPeriod and initialReadinessDelay). Rules, per upstream: deleted and failed
// pods are dropped; utilization is sum(usage) * 100 / sum(requests) in integer arithmetic;
// a ratio within the tolerances ((1 - down) <= r <= (1 + up)) keeps the current count; with
// missing pods (assumed at max(100%, target) of their request — the target for raw values — on
// a scale-down, 0 on a scale-up) or unready pods on a scale-up (assumed 0), the ratio is
// recomputed and the current count kept if the direction flipped or the change is within
// tolerance; counts are ceil(ratio * pods); Object/External Value targets use the ready pod
// count (or ceil(ratio) from 0 replicas), AverageValue targets use status.replicas. A metric that
// fails is invalid: it never blocks a scale-up, but any invalid metric blocks a scale-down, and
// all invalid is an error. Overflows saturate (int32 replica counts, int64 sums).
// Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "autoscalers/hpa/normalize.h"
#include "common/clock.h"
#include "common/json.h"
#include "engine/methods/evaluator.h"

namespace cpa::hpa {

struct Tolerances {
  double scale_down = 0.1;
  double scale_up = 0.1;
  bool IsWithin(double usage_ratio) const {
    return (1.0 - scale_down) <= usage_ratio && usage_ratio <= (1.0 + scale_up);
  }
};
// The symmetric tolerance, overridden per direction by behavior.scaleUp/scaleDown.tolerance.
Tolerances TolerancesOf(const HpaOptions& options);

struct ProposalInput {
  int spec_replicas = 0;    // scale.spec.replicas (the current count)
  int status_replicas = 0;  // scale.status.replicas (for AverageValue Object/External targets)
  const engine::TargetState* target = nullptr;                   // pods (JSON), sorted
  const std::vector<engine::GatheredMetric>* metrics = nullptr;  // one per spec
  Tolerances tolerances;
  TimePoint now;
};

// One metric's part of the decision.
struct MetricProposal {
  std::string type;             // "Resource", "ContainerResource", "Pods", "Object", "External"
  std::string name;             // resource or metric name
  std::string description;      // upstream's metric name for messages ("cpu resource utilization
                                // (percentage of request)")
  std::optional<int> replicas;  // the proposal; unset when the metric is invalid
  // Current value: utilization in percent (Utilization targets), else the (average) value in
  // milli-units; `target` likewise.
  std::optional<int64_t> current_utilization;
  std::optional<int64_t> current_average_value;
  std::optional<int64_t> current_value;
  std::optional<int64_t> target_utilization;
  std::optional<int64_t> target_average_value;
  std::optional<int64_t> target_value;
  std::optional<double> usage_ratio;
  std::string verdict;  // "within tolerance", "scale up", "scale down", "direction flipped", ...
  int64_t ready_pods = 0;
  int64_t unready_pods = 0;
  int64_t missing_pods = 0;
  std::string error;                   // why the metric is invalid
  std::optional<Condition> condition;  // ScalingActive False with the FailedGet* reason
};

struct Proposal {
  int replicas = 0;    // the largest valid proposal; -1 when the metrics block any decision
  std::string metric;  // description of the metric that won
  std::optional<size_t> winner;  // index into `metrics`
  std::vector<MetricProposal> metrics;
  int invalid = 0;
  std::string error;         // "invalid metrics (N invalid out of M), first error is: ..."
  Condition scaling_active;  // ValidMetricFound, or the first invalid metric's condition
};

Proposal ComputeProposal(const ProposalInput& input);

JsonValue MetricProposalToJson(const MetricProposal& m, JsonAllocator& a);

}  // namespace cpa::hpa
