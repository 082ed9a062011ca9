// The resource types the fake API server serves: built-in kinds plus CRDs registered at run time.
//
// Each type knows its discovery facts (group, version, plural, kind, scope, subresources) and
// the behaviour the fake derives from them (generation tracking, how /scale maps onto the
// object). Registering a CustomResourceDefinition adds its served versions; pointers returned by
// Find stay valid until that CRD is removed. Not thread-safe on its own: the server guards it
// with its state mutex.
#pragma once

#include <list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"

namespace cpa::kube::fake {

enum class ScaleMode {
  kNone,
  kSelectorStruct,  // apps/v1: spec.selector is a LabelSelector object
  kSelectorMap,     // core/v1 ReplicationController: spec.selector is a label map
  kCustom,          // a CRD: specReplicasPath / statusReplicasPath / labelSelectorPath
};

struct ResourceType {
  std::string group;
  std::string version;
  std::string resource;  // plural
  std::string singular;
  std::string kind;
  std::string list_kind;
  std::vector<std::string> short_names;
  std::vector<std::string> verbs;
  bool namespaced = true;
  bool has_status = false;
  ScaleMode scale = ScaleMode::kNone;
  bool builtin = true;             // typed lists omit items' kind/apiVersion
  bool tracks_generation = false;  // metadata.generation bumps on spec changes
  // CRD scale paths (".spec.replicas" form).
  std::string spec_replicas_path = ".spec.replicas";
  std::string status_replicas_path = ".status.replicas";
  std::string label_selector_path;

  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
  // Storage key: one store per group/resource, shared by every version.
  std::string StorageKey() const { return group + "/" + resource; }
  // "deployments.apps" / "pods": the form in Status messages.
  std::string GroupResource() const { return group.empty() ? resource : resource + "." + group; }
};

class ResourceRegistry {
 public:
  ResourceRegistry();  // with the built-in kinds

  const ResourceType* Find(const std::string& group, const std::string& version,
                           const std::string& resource) const;
  const ResourceType* FindKind(const std::string& api_version, const std::string& kind) const;

  // Adds the served versions of a CustomResourceDefinition (apiextensions.k8s.io/v1 object).
  Status RegisterCrd(const JsonValue& crd);
  // Removes a CRD's types; returns the storage key of its objects.
  std::string UnregisterCrd(const JsonValue& crd);

  // Discovery documents.
  std::string ApiVersionsJson() const;                    // GET /api
  std::string ApiGroupListJson(bool with_metrics) const;  // GET /apis
  // GET /api/v1 or /apis/<g>/<v>; std::nullopt when the group version is unknown.
  std::optional<std::string> ResourceListJson(const std::string& group,
                                              const std::string& version) const;

 private:
  void Add(ResourceType type);
  std::list<ResourceType> types_;         // a list: pointers stay valid while others are added
  std::vector<std::string> group_order_;  // groups in registration order
};

}  // namespace cpa::kube::fake
