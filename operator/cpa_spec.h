// The CustomPodAutoscaler resource as the operator reads it: ParseCpa() turns the object the API
// server returns into a validated CpaSpec, or a kInvalidArgument error naming the field at fault
// (an invalid spec is terminal: it is reported in status, never retried).
// Pure functions and value types; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "kube/client.h"

namespace cpa::op {

struct ConfigEntry {
  std::string name;
  std::string value;
};

// spec.storage: a PersistentVolumeClaim for the autoscaler's history store.
struct StorageSpec {
  bool provision = true;  // false: adopt an existing claim named after the CR
  std::string size = "1Gi";
  std::string storage_class_name;  // "" = the cluster default
  std::string mount_path = "/var/lib/cpa";
};

struct CpaSpec {
  std::string name;
  std::string ns;
  std::string uid;
  int64_t generation = 0;
  JsonDocument pod_template;  // spec.template (a PodTemplateSpec)
  kube::ObjectRef scale_target;
  std::string scale_target_json;  // spec.scaleTargetRef as compact JSON (the env var's value)
  std::vector<ConfigEntry> config;
  bool provision_role = true;
  bool provision_role_binding = true;
  bool provision_service_account = true;
  bool provision_pod = true;
  bool role_requires_metrics_server = false;
  bool role_requires_argo_rollouts = false;
  std::optional<StorageSpec> storage;
  std::optional<int32_t> paused_replicas;  // the paused-replicas annotation
};

// Validates and reads a CustomPodAutoscaler object.
Result<CpaSpec> ParseCpa(const JsonValue& object);

}  // namespace cpa::op
