// Names shared by the operator and its manifests: the resource's group/version/kind, the labels
// and annotations the operator reads and writes, and the field manager it reports as.
// Constants only; thread-safe.
#pragma once

#include <string_view>

namespace cpa::op {

inline constexpr std::string_view kCpaApiVersion = "custompodautoscaler.com/v1";
inline constexpr std::string_view kCpaKind = "CustomPodAutoscaler";

// Every child carries these labels (the original operator's, so tools that select on them keep
// working); the owned-by label also selects the autoscaler's pods.
inline constexpr std::string_view kOwnedByLabel = "v1.custompodautoscaler.com/owned-by";
inline constexpr std::string_view kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr std::string_view kManagedByValue = "custom-pod-autoscaler-operator";

// On the CR: pause autoscaling and hold the target at N replicas.
inline constexpr std::string_view kPausedReplicasAnnotation =
    "v1.custompodautoscaler.com/paused-replicas";
// On the provisioned Deployment: hash of the desired spec the operator last wrote.
inline constexpr std::string_view kSpecHashAnnotation = "v1.custompodautoscaler.com/spec-hash";
// On an adopted Deployment while paused: its replica count before the pause.
inline constexpr std::string_view kReplicasBeforePauseAnnotation =
    "v1.custompodautoscaler.com/replicas-before-pause";

// Events' reportingController.
inline constexpr std::string_view kReportingController = "custompodautoscaler.com/operator";

}  // namespace cpa::op
