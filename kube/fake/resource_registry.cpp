#include "kube/fake/resource_registry.h"

#include <algorithm>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace cpa::kube::fake {
namespace {

const std::vector<std::string> kAllVerbs = {"create", "delete", "deletecollection", "get",
                                            "list",   "patch",  "update",           "watch"};
const std::vector<std::string> kSubVerbs = {"get", "patch", "update"};

ResourceType Builtin(std::string group, std::string version, std::string resource,
                     std::string singular, std::string kind, bool namespaced, bool status,
                     ScaleMode scale, bool generation, std::vector<std::string> short_names = {}) {
  ResourceType t;
  t.group = std::move(group);
  t.version = std::move(version);
  t.resource = std::move(resource);
  t.singular = std::move(singular);
  t.kind = kind;
  t.list_kind = kind + "List";
  t.namespaced = namespaced;
  t.has_status = status;
  t.scale = scale;
  t.tracks_generation = generation;
  t.short_names = std::move(short_names);
  t.verbs = kAllVerbs;
  return t;
}

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void WriteStrings(Writer& w, const std::vector<std::string>& values) {
  w.StartArray();
  for (const auto& v : values) w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  w.EndArray();
}

}  // namespace

ResourceRegistry::ResourceRegistry() {
  using S = ScaleMode;
  // core/v1
  Add(Builtin("", "v1", "configmaps", "", "ConfigMap", true, false, S::kNone, false, {"cm"}));
  Add(Builtin("", "v1", "endpoints", "", "Endpoints", true, false, S::kNone, false, {"ep"}));
  Add(Builtin("", "v1", "events", "", "Event", true, false, S::kNone, false, {"ev"}));
  Add(Builtin("", "v1", "namespaces", "", "Namespace", false, true, S::kNone, false, {"ns"}));
  Add(Builtin("", "v1", "nodes", "", "Node", false, true, S::kNone, false, {"no"}));
  Add(Builtin("", "v1", "persistentvolumeclaims", "", "PersistentVolumeClaim", true, true, S::kNone,
              false, {"pvc"}));
  Add(Builtin("", "v1", "pods", "", "Pod", true, true, S::kNone, false, {"po"}));
  Add(Builtin("", "v1", "replicationcontrollers", "", "ReplicationController", true, true,
              S::kSelectorMap, true, {"rc"}));
  Add(Builtin("", "v1", "secrets", "", "Secret", true, false, S::kNone, false));
  Add(Builtin("", "v1", "serviceaccounts", "", "ServiceAccount", true, false, S::kNone, false,
              {"sa"}));
  Add(Builtin("", "v1", "services", "", "Service", true, true, S::kNone, false, {"svc"}));
  // apps/v1
  Add(Builtin("apps", "v1", "controllerrevisions", "", "ControllerRevision", true, false, S::kNone,
              false));
  Add(Builtin("apps", "v1", "daemonsets", "", "DaemonSet", true, true, S::kNone, true, {"ds"}));
  Add(Builtin("apps", "v1", "deployments", "", "Deployment", true, true, S::kSelectorStruct, true,
              {"deploy"}));
  Add(Builtin("apps", "v1", "replicasets", "", "ReplicaSet", true, true, S::kSelectorStruct, true,
              {"rs"}));
  Add(Builtin("apps", "v1", "statefulsets", "", "StatefulSet", true, true, S::kSelectorStruct, true,
              {"sts"}));
  // others the project uses
  Add(Builtin("events.k8s.io", "v1", "events", "", "Event", true, false, S::kNone, false, {"ev"}));
  Add(Builtin("autoscaling", "v2", "horizontalpodautoscalers", "", "HorizontalPodAutoscaler", true,
              true, S::kNone, false, {"hpa"}));
  Add(Builtin("autoscaling", "v1", "horizontalpodautoscalers", "", "HorizontalPodAutoscaler", true,
              true, S::kNone, false, {"hpa"}));
  Add(Builtin("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "", "ClusterRoleBinding",
              false, false, S::kNone, false));
  Add(Builtin("rbac.authorization.k8s.io", "v1", "clusterroles", "", "ClusterRole", false, false,
              S::kNone, false));
  Add(Builtin("rbac.authorization.k8s.io", "v1", "rolebindings", "", "RoleBinding", true, false,
              S::kNone, false));
  Add(Builtin("rbac.authorization.k8s.io", "v1", "roles", "", "Role", true, false, S::kNone,
              false));
  Add(Builtin("coordination.k8s.io", "v1", "leases", "", "Lease", true, false, S::kNone, false));
  Add(Builtin("apiextensions.k8s.io", "v1", "customresourcedefinitions", "",
              "CustomResourceDefinition", false, true, S::kNone, true, {"crd", "crds"}));
}

void ResourceRegistry::Add(ResourceType type) {
  if (std::find(group_order_.begin(), group_order_.end(), type.group) == group_order_.end()) {
    group_order_.push_back(type.group);
  }
  types_.push_back(std::move(type));
}

const ResourceType* ResourceRegistry::Find(const std::string& group, const std::string& version,
                                           const std::string& resource) const {
  for (const auto& t : types_) {
    if (t.group == group && t.version == version && t.resource == resource) return &t;
  }
  return nullptr;
}

const ResourceType* ResourceRegistry::FindKind(const std::string& api_version,
                                               const std::string& kind) const {
  for (const auto& t : types_) {
    if (t.ApiVersion() == api_version && t.kind == kind) return &t;
  }
  return nullptr;
}

Status ResourceRegistry::RegisterCrd(const JsonValue& crd) {
  const JsonValue* spec = FindMember(crd, "spec");
  const JsonValue* names = spec != nullptr ? FindMember(*spec, "names") : nullptr;
  const JsonValue* versions = spec != nullptr ? FindMember(*spec, "versions") : nullptr;
  if (spec == nullptr || names == nullptr || versions == nullptr || !versions->IsArray()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "spec.group, spec.names and spec.versions are required");
  }
  std::string group = StringMember(*spec, "group");
  std::string plural = StringMember(*names, "plural");
  std::string kind = StringMember(*names, "kind");
  if (group.empty() || plural.empty() || kind.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "spec.group, spec.names.plural and spec.names.kind are required");
  }
  for (const auto& v : versions->GetArray()) {
    const JsonValue* served = FindMember(v, "served");
    if (served != nullptr && served->IsBool() && !served->GetBool()) continue;
    ResourceType t;
    t.group = group;
    t.version = StringMember(v, "name");
    t.resource = plural;
    t.singular = StringMember(*names, "singular");
    if (t.singular.empty()) {
      t.singular = kind;
      std::transform(t.singular.begin(), t.singular.end(), t.singular.begin(), ::tolower);
    }
    t.kind = kind;
    t.list_kind = StringMember(*names, "listKind");
    if (t.list_kind.empty()) t.list_kind = kind + "List";
    if (const JsonValue* sn = FindMember(*names, "shortNames"); sn != nullptr && sn->IsArray()) {
      for (const auto& s : sn->GetArray()) {
        if (s.IsString()) t.short_names.emplace_back(s.GetString());
      }
    }
    t.namespaced = StringMember(*spec, "scope") != "Cluster";
    t.builtin = false;
    t.tracks_generation = true;
    t.verbs = kAllVerbs;
    if (const JsonValue* sub = FindMember(v, "subresources"); sub != nullptr) {
      t.has_status = FindMember(*sub, "status") != nullptr;
      if (const JsonValue* scale = FindMember(*sub, "scale"); scale != nullptr) {
        t.scale = ScaleMode::kCustom;
        if (auto p = StringMember(*scale, "specReplicasPath"); !p.empty()) t.spec_replicas_path = p;
        if (auto p = StringMember(*scale, "statusReplicasPath"); !p.empty())
          t.status_replicas_path = p;
        t.label_selector_path = StringMember(*scale, "labelSelectorPath");
      }
    }
    // Replace a previous registration of the same version.
    std::erase_if(types_, [&](const ResourceType& e) {
      return e.group == t.group && e.version == t.version && e.resource == t.resource;
    });
    Add(std::move(t));
  }
  return OkStatus();
}

std::string ResourceRegistry::UnregisterCrd(const JsonValue& crd) {
  const JsonValue* spec = FindMember(crd, "spec");
  const JsonValue* names = spec != nullptr ? FindMember(*spec, "names") : nullptr;
  if (spec == nullptr || names == nullptr) return "";
  std::string group = StringMember(*spec, "group");
  std::string plural = StringMember(*names, "plural");
  std::erase_if(types_, [&](const ResourceType& e) {
    return !e.builtin && e.group == group && e.resource == plural;
  });
  return group + "/" + plural;
}

std::string ResourceRegistry::ApiVersionsJson() const {
  return R"({"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1:6443"}]})";
}

std::string ResourceRegistry::ApiGroupListJson(bool with_metrics) const {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("kind");
  w.String("APIGroupList");
  w.Key("apiVersion");
  w.String("v1");
  w.Key("groups");
  w.StartArray();
  auto write_group = [&](const std::string& group, const std::vector<std::string>& versions) {
    w.StartObject();
    w.Key("name");
    w.String(group.c_str());
    w.Key("versions");
    w.StartArray();
    for (const auto& v : versions) {
      w.StartObject();
      w.Key("groupVersion");
      w.String((group + "/" + v).c_str());
      w.Key("version");
      w.String(v.c_str());
      w.EndObject();
    }
    w.EndArray();
    w.Key("preferredVersion");
    w.StartObject();
    w.Key("groupVersion");
    w.String((group + "/" + versions.front()).c_str());
    w.Key("version");
    w.String(versions.front().c_str());
    w.EndObject();
    w.EndObject();
  };
  for (const auto& group : group_order_) {
    if (group.empty()) continue;
    std::vector<std::string> versions;
    for (const auto& t : types_) {
      if (t.group == group &&
          std::find(versions.begin(), versions.end(), t.version) == versions.end()) {
        versions.push_back(t.version);
      }
    }
    if (!versions.empty()) write_group(group, versions);
  }
  if (with_metrics) {
    write_group("metrics.k8s.io", {"v1beta1"});
    write_group("custom.metrics.k8s.io", {"v1beta2", "v1beta1"});
    write_group("external.metrics.k8s.io", {"v1beta1"});
  }
  w.EndArray();
  w.EndObject();
  return buffer.GetString();
}

std::optional<std::string> ResourceRegistry::ResourceListJson(const std::string& group,
                                                              const std::string& version) const {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  std::string gv = group.empty() ? version : group + "/" + version;
  w.StartObject();
  w.Key("kind");
  w.String("APIResourceList");
  w.Key("apiVersion");
  w.String("v1");
  w.Key("groupVersion");
  w.String(gv.c_str());
  w.Key("resources");
  w.StartArray();
  bool any = false;
  auto write = [&](const std::string& name, const std::string& singular, bool namespaced,
                   const std::string& kind, const std::vector<std::string>& verbs,
                   const std::vector<std::string>& short_names, const char* sub_group,
                   const char* sub_version) {
    w.StartObject();
    w.Key("name");
    w.String(name.c_str());
    w.Key("singularName");
    w.String(singular.c_str());
    w.Key("namespaced");
    w.Bool(namespaced);
    if (sub_group != nullptr) {
      w.Key("group");
      w.String(sub_group);
      w.Key("version");
      w.String(sub_version);
    }
    w.Key("kind");
    w.String(kind.c_str());
    w.Key("verbs");
    WriteStrings(w, verbs);
    if (!short_names.empty()) {
      w.Key("shortNames");
      WriteStrings(w, short_names);
    }
    w.EndObject();
  };
  for (const auto& t : types_) {
    if (t.group != group || t.version != version) continue;
    any = true;
    write(t.resource, t.singular, t.namespaced, t.kind, t.verbs, t.short_names, nullptr, nullptr);
    if (t.has_status) {
      write(t.resource + "/status", "", t.namespaced, t.kind, kSubVerbs, {}, nullptr, nullptr);
    }
    if (t.scale != ScaleMode::kNone) {
      write(t.resource + "/scale", "", t.namespaced, "Scale", kSubVerbs, {}, "autoscaling", "v1");
    }
  }
  if (group == "metrics.k8s.io" && version == "v1beta1") {
    any = true;
    write("nodes", "", false, "NodeMetrics", {"get", "list"}, {}, nullptr, nullptr);
    write("pods", "", true, "PodMetrics", {"get", "list"}, {}, nullptr, nullptr);
  }
  if ((group == "custom.metrics.k8s.io" && (version == "v1beta2" || version == "v1beta1")) ||
      (group == "external.metrics.k8s.io" && version == "v1beta1")) {
    any = true;
  }
  w.EndArray();
  w.EndObject();
  if (!any) return std::nullopt;
  return std::string(buffer.GetString());
}

}  // namespace cpa::kube::fake
