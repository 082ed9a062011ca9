// The engine's seam to Kubernetes: only what a run needs of its scale target.
//
// KubeCluster (kube_cluster.h) implements it over the kube/ REST client; the in-memory API
// server (kube/fake) serves the same HTTP API for tests and simulation. Implementations are
// thread-safe: runs of different autoscalers call them concurrently.
#pragma once

#include "common/error.h"
#include "engine/config/config.h"
#include "engine/run_types.h"

namespace cpa::engine {

class Cluster {
 public:
  virtual ~Cluster() = default;
  // The target object, its /scale (replicas, selector) and its pods (sorted; see TargetState).
  virtual Result<TargetState> GetTarget(const config::ScaleTargetRef& ref,
                                        const std::string& name_space) = 0;
  // Sets spec.replicas through the /scale subresource (a patch, not a read-modify-write).
  virtual Status Scale(const config::ScaleTargetRef& ref, const std::string& name_space,
                       int replicas) = 0;
};

// Sorts pods by name; names ending in "-<ordinal>" (StatefulSet pods) compare by ordinal.
void SortPods(std::vector<std::shared_ptr<const JsonDocument>>& pods);
// metadata.name of an object, "" when absent.
std::string ObjectName(const JsonValue& object);

}  // namespace cpa::engine
