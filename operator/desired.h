// The desired children of a CustomPodAutoscaler, as pure functions of its CpaSpec: the
// ServiceAccount, Role, RoleBinding, optional PersistentVolumeClaim and the autoscaler's
// one-replica Deployment, each named after the CR, labelled with the original operator's labels
// and carrying a controller ownerReference to the CR.
//
// MergeOwned() applies only the fields the operator owns onto the object the server holds and
// says whether anything changed, so server-populated and defaulted fields never cause a write:
// a resync of an unchanged CR writes nothing. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/json.h"
#include "operator/cpa_spec.h"

namespace cpa::op {

enum class ChildKind { kServiceAccount, kRole, kRoleBinding, kPersistentVolumeClaim, kDeployment };

struct ChildType {
  std::string_view api_version;
  std::string_view kind;
};
ChildType TypeOf(ChildKind kind);

// The ownerReference every child carries (controller, blockOwnerDeletion).
JsonValue OwnerReference(const CpaSpec& cpa, JsonAllocator& a);

// The desired object of `kind` (nullopt for a PVC when spec.storage is unset).
std::optional<JsonDocument> Desired(ChildKind kind, const CpaSpec& cpa);
JsonDocument DesiredServiceAccount(const CpaSpec& cpa);
JsonDocument DesiredRole(const CpaSpec& cpa);
JsonDocument DesiredRoleBinding(const CpaSpec& cpa);
JsonDocument DesiredPersistentVolumeClaim(const CpaSpec& cpa);
// spec.replicas is 1, or 0 while paused; metadata.annotations[spec-hash] is SpecHash(spec).
JsonDocument DesiredDeployment(const CpaSpec& cpa);

// The env vars injected into every autoscaler container, in order (later names win).
std::vector<std::pair<std::string, std::string>> InjectedEnv(const CpaSpec& cpa);

// FNV-1a 64 of the compact JSON, as 16 hex digits.
std::string SpecHash(const JsonValue& value);

// A controller ownerReference (kind, name, uid) of an object, if it has one.
struct ControllerRef {
  std::string api_version, kind, name, uid;
};
std::optional<ControllerRef> ControllerOf(const JsonValue& object);

enum class MergeMode {
  kProvisioned,  // the operator owns the object: labels, ownerReference and the kind's fields
  kAdopted,      // provision*: false: only labels and the ownerReference are added
};
// A copy of `actual` with the owned fields of `desired` applied, or nullopt when `actual`
// already has them. Keeps metadata.resourceVersion, so the write is conditional.
std::optional<JsonDocument> MergeOwned(ChildKind kind, const JsonValue& actual,
                                       const JsonValue& desired, MergeMode mode);

// True when a RoleBinding's immutable roleRef differs from the desired one (delete, recreate).
bool RoleRefChanged(const JsonValue& actual, const JsonValue& desired);

}  // namespace cpa::op
