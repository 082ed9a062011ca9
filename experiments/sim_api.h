// The simulated cluster seen through the Kubernetes API seams: kube::Api (scale, objects, pods,
// metrics.k8s.io PodMetrics) and engine::Cluster, so the engine, the kubernetesMetrics gatherer
// and the built-in evaluators read pods and metrics exactly as from a real API server.
//
// One Deployment (apps/v1, default/web, selector app=web) whose pods are the simulation's.
// Objects are built as JSON on every call from the simulation state at now() (timestamps from the
// simulation's wall time). Custom and external metrics are not served (kNotFound). Not
// thread-safe: the simulation thread calls it (the engine calls it from Autoscaler::Run).
#pragma once

#include <string>

#include "engine/cluster.h"
#include "engine/kube_cluster.h"
#include "experiments/simulation.h"
#include "kube/client.h"

namespace cpa::experiments {

inline constexpr std::string_view kNamespace = "default";
inline constexpr std::string_view kDeployment = "web";
inline constexpr std::string_view kSelector = "app=web";

class SimApi final : public kube::Api, public engine::Cluster {
 public:
  explicit SimApi(Simulation& sim) : sim_(sim), cluster_(*this) {}

  // --- kube::Api ----------------------------------------------------------------------------
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

  // --- engine::Cluster (the same code path as `cpa run`: engine::KubeCluster over this Api) --
  Result<engine::TargetState> GetTarget(const config::ScaleTargetRef& ref,
                                        const std::string& name_space) override;
  Status Scale(const config::ScaleTargetRef& ref, const std::string& name_space,
               int replicas) override;

  // The JSON objects, also used by `cpa sim` to seed the fake API server.
  JsonDocument DeploymentJson() const;
  JsonDocument PodJson(const PodView& pod) const;
  static JsonDocument PodMetricsJson(const PodMetricView& metric, TimePoint timestamp,
                                     double window_s);

 private:
  Status CheckTarget(const kube::ObjectRef& target, std::string_view ns) const;
  bool SelectorMatches(std::string_view selector) const;

  Simulation& sim_;
  engine::KubeCluster cluster_;
};

}  // namespace cpa::experiments
