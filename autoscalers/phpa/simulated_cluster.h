// SimulatedApi: an in-memory stand-in for the Kubernetes API that `cpa replay` drives the real
// engine against (the engine's KubeCluster and Kubernetes metrics gatherer run over it unchanged).
//
// It holds one scale target (any kind) with a selector, its pods and a demand the caller sets
// each run. Scaling up creates pods that are Pending for `pod_startup` and then Running and Ready;
// scaling down deletes the newest pods at once. Metrics are the demand spread evenly over the
// Running pods: metrics.k8s.io usage (cpu in cores of demand, memory in bytes), custom pod
// metrics (value per pod); object and external metrics report the whole demand. Every timestamp
// comes from the injected Clock, so a replay is deterministic. Thread-safe (one mutex).
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "kube/client.h"

namespace cpa::phpa {

struct SimulatedClusterOptions {
  std::string name_space = "default";
  kube::ObjectRef target{"apps/v1", "Deployment", "replay"};
  int initial_replicas = 1;
  Duration pod_startup = std::chrono::seconds(0);
  int64_t cpu_request_milli = 1000;            // per pod (one container)
  int64_t memory_request_bytes = 512LL << 20;  // per pod
};

class SimulatedApi final : public kube::Api {
 public:
  SimulatedApi(SimulatedClusterOptions options, Clock& clock);

  void SetDemand(double demand);
  int spec_replicas() const;
  // Pods Running and Ready at the clock's now.
  int ready_replicas() const;

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
  struct Pod {
    std::string name;
    TimePoint created;
  };
  Status Check(const kube::ObjectRef& target, std::string_view ns) const;
  bool Running(const Pod& pod, TimePoint now) const { return now >= pod.created + startup_; }
  int RunningLocked(TimePoint now) const;
  std::string Selector() const;

  SimulatedClusterOptions options_;
  Duration startup_;
  Clock& clock_;
  mutable std::mutex mu_;
  int spec_replicas_ = 0;
  std::vector<Pod> pods_;
  int64_t next_pod_ = 0;
  double demand_ = 0.0;
  int64_t resource_version_ = 1;
};

}  // namespace cpa::phpa
