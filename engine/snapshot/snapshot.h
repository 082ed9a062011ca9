// A captured cluster state (`cpa evaluate --snapshot`): the target's Scale, its pods and the
// metrics APIs' answers at one instant, served as an in-memory kube::Api so the same engine code
// (KubeCluster, the Kubernetes gatherer, any evaluator) runs on it with no cluster.
//
// The snapshot is one JSON object (autoscalers/hpa/README.md documents it):
//   now              RFC 3339 instant of the evaluation (required)
//   scale            autoscaling/v1 Scale: spec.replicas, status.replicas, status.selector
//   pods             v1 PodList            podMetrics       metrics.k8s.io/v1beta1 PodMetricsList
//   customMetrics    custom.metrics.k8s.io/v1beta2 MetricValueList (Pods and Object metrics)
//   externalMetrics  external.metrics.k8s.io/v1beta1 ExternalMetricValueList
//   target           optional: the target object (default: a stub named after the Scale)
//   history          optional: {"recommendations": [{"time", "replicas"}],
//                               "scaleEvents": [{"time", "replicaChange"}]}
// Lists are what `kubectl get -o json` / `kubectl get --raw` print (`items`; kind List or the
// typed list kind). ParseSnapshot checks every field the engine reads and names the first bad
// one ("pods.items[2].spec.containers[0].resources.requests.cpu: ..."). SnapshotApi is
// thread-safe (a mutex guards the scale, which PatchScaleReplicas changes).
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/error.h"
#include "common/json.h"
#include "engine/methods/evaluator.h"
#include "kube/client.h"

namespace cpa::engine {

struct Snapshot {
  TimePoint now;
  JsonDocument scale;
  std::optional<JsonDocument> target;
  JsonDocument pods;  // {"items": [...]}
  std::optional<JsonDocument> pod_metrics;
  std::optional<JsonDocument> custom_metrics;
  std::optional<JsonDocument> external_metrics;
  EvaluatorHistorySeed history;
  std::string scale_name;  // scale.metadata.name ("" when absent)
};

// Parses and checks a snapshot; errors are kInvalidArgument naming the field.
Result<Snapshot> ParseSnapshot(std::string_view json);

class SnapshotApi final : public kube::Api {
 public:
  explicit SnapshotApi(Snapshot snapshot) : snapshot_(std::move(snapshot)) {}
  const Snapshot& snapshot() const { return snapshot_; }

  Result<kube::Scale> GetScale(const kube::ObjectRef& target, std::string_view ns) override;
  Result<kube::Scale> PatchScaleReplicas(const kube::ObjectRef& target, std::string_view ns,
                                         int32_t replicas) override;
  Result<JsonDocument> GetObject(const kube::ObjectRef& ref, std::string_view ns) override;
  Result<JsonDocument> ListPods(std::string_view ns, std::string_view selector) override;
  Result<JsonDocument> GetPodMetrics(std::string_view ns, std::string_view selector) override;
  Result<JsonDocument> GetObjectMetric(std::string_view ns, const kube::ObjectRef& described,
                                       std::string_view metric,
                                       std::string_view metric_selector) override;
  Result<JsonDocument> GetPodsMetric(std::string_view ns, std::string_view metric,
                                     std::string_view selector,
                                     std::string_view metric_selector) override;
  Result<JsonDocument> GetExternalMetric(std::string_view ns, std::string_view metric,
                                         std::string_view metric_selector) override;

 private:
  std::mutex mu_;
  Snapshot snapshot_;
};

}  // namespace cpa::engine
