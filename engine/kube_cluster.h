// KubeCluster: the engine's Cluster seam over the Kubernetes REST client (kube/).
//
// A target is resolved as: GET <target>/scale (spec.replicas, status.selector), GET of the
// target object, and LIST of its pods by the scale's selector (no selector: no pods). Pods are
// sorted (StatefulSet pods by ordinal). Scaling is a PATCH of /scale's spec.replicas. Pods that
// are being deleted (metadata.deletionTimestamp set) are left out, as the HPA does.
// Thread-safe (the kube::Api is).
#pragma once

#include "engine/cluster.h"
#include "kube/client.h"

namespace cpa::engine {

class KubeCluster final : public Cluster {
 public:
  explicit KubeCluster(kube::Api& api) : api_(api) {}
  Result<TargetState> GetTarget(const config::ScaleTargetRef& ref,
                                const std::string& name_space) override;
  Status Scale(const config::ScaleTargetRef& ref, const std::string& name_space,
               int replicas) override;

 private:
  kube::Api& api_;
};

}  // namespace cpa::engine
