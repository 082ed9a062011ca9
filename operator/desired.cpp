#include "operator/desired.h"

#include <algorithm>
#include <cstdint>

#include "operator/names.h"

namespace cpa::op {
namespace {

constexpr std::string_view kStoreVolume = "cpa-store";

JsonValue& EnsureObject(JsonValue& parent, std::string_view key, JsonAllocator& a) {
  auto it = parent.FindMember(JsonValue(rapidjson::StringRef(key.data(), key.size())));
  if (it != parent.MemberEnd()) {
    if (!it->value.IsObject()) it->value.SetObject();
    return it->value;
  }
  parent.AddMember(JsonString(key, a), JsonValue(rapidjson::kObjectType), a);
  return parent[JsonValue(rapidjson::StringRef(key.data(), key.size()))];
}

void Set(JsonValue& object, std::string_view key, JsonValue value, JsonAllocator& a) {
  auto it = object.FindMember(JsonValue(rapidjson::StringRef(key.data(), key.size())));
  if (it != object.MemberEnd()) {
    it->value = std::move(value);
  } else {
    object.AddMember(JsonString(key, a), std::move(value), a);
  }
}

JsonValue Strings(std::initializer_list<std::string_view> values, JsonAllocator& a) {
  JsonValue list(rapidjson::kArrayType);
  for (auto v : values) list.PushBack(JsonString(v, a), a);
  return list;
}

JsonValue Rule(std::initializer_list<std::string_view> groups,
               std::initializer_list<std::string_view> resources,
               std::initializer_list<std::string_view> verbs, JsonAllocator& a) {
  JsonValue rule(rapidjson::kObjectType);
  rule.AddMember("apiGroups", Strings(groups, a), a);
  rule.AddMember("resources", Strings(resources, a), a);
  rule.AddMember("verbs", Strings(verbs, a), a);
  return rule;
}

// apiVersion, kind and metadata (name, namespace, labels, ownerReferences).
JsonDocument NewChild(ChildKind kind, const CpaSpec& cpa) {
  JsonDocument doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  ChildType type = TypeOf(kind);
  doc.AddMember("apiVersion", JsonString(type.api_version, a), a);
  doc.AddMember("kind", JsonString(type.kind, a), a);
  JsonValue meta(rapidjson::kObjectType);
  meta.AddMember("name", JsonString(cpa.name, a), a);
  meta.AddMember("namespace", JsonString(cpa.ns, a), a);
  JsonValue labels(rapidjson::kObjectType);
  labels.AddMember(JsonString(kManagedByLabel, a), JsonString(kManagedByValue, a), a);
  labels.AddMember(JsonString(kOwnedByLabel, a), JsonString(cpa.name, a), a);
  meta.AddMember("labels", labels, a);
  JsonValue refs(rapidjson::kArrayType);
  refs.PushBack(OwnerReference(cpa, a), a);
  meta.AddMember("ownerReferences", refs, a);
  doc.AddMember("metadata", meta, a);
  return doc;
}

// Sets name=value in a container's env list, dropping earlier entries of that name.
void SetEnv(JsonValue& env, std::string_view name, std::string_view value, JsonAllocator& a) {
  for (auto it = env.Begin(); it != env.End();) {
    if (it->IsObject() && StringMember(*it, "name") == name) {
      it = env.Erase(it);
    } else {
      ++it;
    }
  }
  JsonValue entry(rapidjson::kObjectType);
  entry.AddMember("name", JsonString(name, a), a);
  entry.AddMember("value", JsonString(value, a), a);
  env.PushBack(entry, a);
}

// The pod template: the user's, with labels, service account, env and the store volume.
JsonValue PodTemplate(const CpaSpec& cpa, JsonAllocator& a) {
  JsonValue tmpl(cpa.pod_template, a);
  JsonValue& meta = EnsureObject(tmpl, "metadata", a);
  // A PodTemplateSpec's metadata.name/namespace mean nothing inside a Deployment.
  meta.RemoveMember("name");
  meta.RemoveMember("namespace");
  JsonValue& labels = EnsureObject(meta, "labels", a);
  Set(labels, kOwnedByLabel, JsonString(cpa.name, a), a);
  JsonValue& spec = EnsureObject(tmpl, "spec", a);
  if (StringMember(spec, "serviceAccountName").empty()) {
    Set(spec, "serviceAccountName", JsonString(cpa.name, a), a);
  }
  const auto env_vars = InjectedEnv(cpa);
  JsonValue& containers = spec["containers"];
  for (auto& c : containers.GetArray()) {
    auto it = c.FindMember("env");
    if (it == c.MemberEnd() || !it->value.IsArray()) {
      Set(c, "env", JsonValue(rapidjson::kArrayType), a);
      it = c.FindMember("env");
    }
    for (const auto& [name, value] : env_vars) SetEnv(it->value, name, value, a);
    if (cpa.storage) {
      auto mounts = c.FindMember("volumeMounts");
      if (mounts == c.MemberEnd() || !mounts->value.IsArray()) {
        Set(c, "volumeMounts", JsonValue(rapidjson::kArrayType), a);
        mounts = c.FindMember("volumeMounts");
      }
      JsonValue mount(rapidjson::kObjectType);
      mount.AddMember("name", JsonString(kStoreVolume, a), a);
      mount.AddMember("mountPath", JsonString(cpa.storage->mount_path, a), a);
      mounts->value.PushBack(mount, a);
    }
  }
  if (cpa.storage) {
    auto volumes = spec.FindMember("volumes");
    if (volumes == spec.MemberEnd() || !volumes->value.IsArray()) {
      Set(spec, "volumes", JsonValue(rapidjson::kArrayType), a);
      volumes = spec.FindMember("volumes");
    }
    JsonValue volume(rapidjson::kObjectType);
    volume.AddMember("name", JsonString(kStoreVolume, a), a);
    JsonValue claim(rapidjson::kObjectType);
    claim.AddMember("claimName", JsonString(cpa.name, a), a);
    volume.AddMember("persistentVolumeClaim", claim, a);
    volumes->value.PushBack(volume, a);
  }
  return tmpl;
}

bool HasControllerRefTo(const JsonValue& object, std::string_view uid) {
  auto ref = ControllerOf(object);
  return ref && ref->uid == uid;
}

// Adds the labels and the owner reference of `desired` to `out`'s metadata.
void MergeMetadata(JsonValue& out, const JsonValue& desired, JsonAllocator& a) {
  JsonValue& meta = EnsureObject(out, "metadata", a);
  const JsonValue& dmeta = desired["metadata"];
  JsonValue& labels = EnsureObject(meta, "labels", a);
  for (const auto& kv : dmeta["labels"].GetObject()) {
    const JsonValue* current = FindMember(labels, kv.name.GetString());
    if (current == nullptr || *current != kv.value) {
      Set(labels, kv.name.GetString(), JsonValue(kv.value, a), a);
    }
  }
  const JsonValue& owner = dmeta["ownerReferences"][0];
  if (!HasControllerRefTo(out, StringMember(owner, "uid"))) {
    auto refs = meta.FindMember("ownerReferences");
    if (refs == meta.MemberEnd() || !refs->value.IsArray()) {
      Set(meta, "ownerReferences", JsonValue(rapidjson::kArrayType), a);
      refs = meta.FindMember("ownerReferences");
    }
    // A stale reference to the same uid (not as controller) is replaced.
    for (auto it = refs->value.Begin(); it != refs->value.End();) {
      if (StringMember(*it, "uid") == StringMember(owner, "uid")) {
        it = refs->value.Erase(it);
      } else {
        ++it;
      }
    }
    refs->value.PushBack(JsonValue(owner, a), a);
  }
}

void SetIfDifferent(JsonValue& out, std::string_view key, const JsonValue* desired,
                    JsonAllocator& a) {
  const JsonValue* current = FindMember(out, key);
  if (desired == nullptr) {
    if (current != nullptr) {
      out.RemoveMember(JsonValue(rapidjson::StringRef(key.data(), key.size())));
    }
    return;
  }
  if (current == nullptr || *current != *desired) Set(out, key, JsonValue(*desired, a), a);
}

int64_t Replicas(const JsonValue& deployment) {
  const JsonValue* spec = FindMember(deployment, "spec");
  const JsonValue* r = spec != nullptr ? FindMember(*spec, "replicas") : nullptr;
  return r != nullptr && r->IsInt64() ? r->GetInt64() : 1;
}

std::string Annotation(const JsonValue& object, std::string_view key) {
  const JsonValue* meta = FindMember(object, "metadata");
  const JsonValue* annotations = meta != nullptr ? FindMember(*meta, "annotations") : nullptr;
  return annotations != nullptr ? StringMember(*annotations, key) : "";
}

}  // namespace

ChildType TypeOf(ChildKind kind) {
  switch (kind) {
    case ChildKind::kServiceAccount:
      return {"v1", "ServiceAccount"};
    case ChildKind::kRole:
      return {"rbac.authorization.k8s.io/v1", "Role"};
    case ChildKind::kRoleBinding:
      return {"rbac.authorization.k8s.io/v1", "RoleBinding"};
    case ChildKind::kPersistentVolumeClaim:
      return {"v1", "PersistentVolumeClaim"};
    case ChildKind::kDeployment:
      return {"apps/v1", "Deployment"};
  }
  return {"", ""};
}

JsonValue OwnerReference(const CpaSpec& cpa, JsonAllocator& a) {
  JsonValue ref(rapidjson::kObjectType);
  ref.AddMember("apiVersion", JsonString(kCpaApiVersion, a), a);
  ref.AddMember("kind", JsonString(kCpaKind, a), a);
  ref.AddMember("name", JsonString(cpa.name, a), a);
  ref.AddMember("uid", JsonString(cpa.uid, a), a);
  ref.AddMember("controller", true, a);
  ref.AddMember("blockOwnerDeletion", true, a);
  return ref;
}

std::vector<std::pair<std::string, std::string>> InjectedEnv(const CpaSpec& cpa) {
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back("scaleTargetRef", cpa.scale_target_json);
  out.emplace_back("namespace", cpa.ns);
  // Not a config key: tells `cpa run` which resource's status to keep (--status-resource).
  out.emplace_back("CPA_RESOURCE_NAME", cpa.name);
  if (cpa.storage) {
    out.emplace_back("store",
                     fmt::format(R"({{"path":"{}/history.db"}})", cpa.storage->mount_path));
  }
  for (const auto& entry : cpa.config) {
    std::erase_if(out, [&](const auto& e) { return e.first == entry.name; });
    out.emplace_back(entry.name, entry.value);
  }
  return out;
}

JsonDocument DesiredServiceAccount(const CpaSpec& cpa) {
  return NewChild(ChildKind::kServiceAccount, cpa);
}

JsonDocument DesiredRole(const CpaSpec& cpa) {
  JsonDocument doc = NewChild(ChildKind::kRole, cpa);
  auto& a = doc.GetAllocator();
  JsonValue rules(rapidjson::kArrayType);
  rules.PushBack(Rule({""}, {"pods", "replicationcontrollers"}, {"get", "list", "watch"}, a), a);
  rules.PushBack(Rule({""}, {"replicationcontrollers/scale"}, {"get", "update", "patch"}, a), a);
  rules.PushBack(
      Rule({"apps"}, {"deployments", "replicasets", "statefulsets"}, {"get", "list", "watch"}, a),
      a);
  rules.PushBack(Rule({"apps"}, {"deployments/scale", "replicasets/scale", "statefulsets/scale"},
                      {"get", "update", "patch"}, a),
                 a);
  // The autoscaler records an Event for each scaling decision (patch: a repeat of an identical
  // event bumps its series count instead of creating another).
  rules.PushBack(Rule({"events.k8s.io"}, {"events"}, {"create", "patch"}, a), a);
  // The autoscaler writes the scaling part of this resource's status, and only of this one.
  JsonValue status_rule =
      Rule({"custompodautoscaler.com"}, {"custompodautoscalers/status"}, {"get", "patch"}, a);
  JsonValue names(rapidjson::kArrayType);
  names.PushBack(JsonString(cpa.name, a), a);
  status_rule.AddMember("resourceNames", names, a);
  rules.PushBack(status_rule, a);
  if (cpa.role_requires_metrics_server) {
    rules.PushBack(Rule({"metrics.k8s.io", "custom.metrics.k8s.io", "external.metrics.k8s.io"},
                        {"*"}, {"get", "list", "watch"}, a),
                   a);
  }
  if (cpa.role_requires_argo_rollouts) {
    rules.PushBack(Rule({"argoproj.io"}, {"rollouts"}, {"get", "list", "watch"}, a), a);
    rules.PushBack(Rule({"argoproj.io"}, {"rollouts/scale"}, {"get", "update", "patch"}, a), a);
  }
  doc.AddMember("rules", rules, a);
  return doc;
}

JsonDocument DesiredRoleBinding(const CpaSpec& cpa) {
  JsonDocument doc = NewChild(ChildKind::kRoleBinding, cpa);
  auto& a = doc.GetAllocator();
  JsonValue role_ref(rapidjson::kObjectType);
  role_ref.AddMember("apiGroup", "rbac.authorization.k8s.io", a);
  role_ref.AddMember("kind", "Role", a);
  role_ref.AddMember("name", JsonString(cpa.name, a), a);
  doc.AddMember("roleRef", role_ref, a);
  JsonValue subjects(rapidjson::kArrayType);
  JsonValue subject(rapidjson::kObjectType);
  subject.AddMember("kind", "ServiceAccount", a);
  subject.AddMember("name", JsonString(cpa.name, a), a);
  subject.AddMember("namespace", JsonString(cpa.ns, a), a);
  subjects.PushBack(subject, a);
  doc.AddMember("subjects", subjects, a);
  return doc;
}

JsonDocument DesiredPersistentVolumeClaim(const CpaSpec& cpa) {
  JsonDocument doc = NewChild(ChildKind::kPersistentVolumeClaim, cpa);
  auto& a = doc.GetAllocator();
  StorageSpec storage = cpa.storage.value_or(StorageSpec{});
  JsonValue spec(rapidjson::kObjectType);
  spec.AddMember("accessModes", Strings({"ReadWriteOnce"}, a), a);
  JsonValue resources(rapidjson::kObjectType);
  JsonValue requests(rapidjson::kObjectType);
  requests.AddMember("storage", JsonString(storage.size, a), a);
  resources.AddMember("requests", requests, a);
  spec.AddMember("resources", resources, a);
  if (!storage.storage_class_name.empty()) {
    spec.AddMember("storageClassName", JsonString(storage.storage_class_name, a), a);
  }
  doc.AddMember("spec", spec, a);
  return doc;
}

JsonDocument DesiredDeployment(const CpaSpec& cpa) {
  JsonDocument doc = NewChild(ChildKind::kDeployment, cpa);
  auto& a = doc.GetAllocator();
  JsonValue spec(rapidjson::kObjectType);
  spec.AddMember("replicas", cpa.paused_replicas ? 0 : 1, a);
  JsonValue selector(rapidjson::kObjectType);
  JsonValue match(rapidjson::kObjectType);
  match.AddMember(JsonString(kOwnedByLabel, a), JsonString(cpa.name, a), a);
  selector.AddMember("matchLabels", match, a);
  spec.AddMember("selector", selector, a);
  // One autoscaler at a time: the old pod stops before the new one starts (and releases a
  // ReadWriteOnce store volume).
  JsonValue strategy(rapidjson::kObjectType);
  strategy.AddMember("type", "Recreate", a);
  spec.AddMember("strategy", strategy, a);
  spec.AddMember("template", PodTemplate(cpa, a), a);
  JsonValue annotations(rapidjson::kObjectType);
  annotations.AddMember(JsonString(kSpecHashAnnotation, a), JsonString(SpecHash(spec), a), a);
  doc["metadata"].AddMember("annotations", annotations, a);
  doc.AddMember("spec", spec, a);
  return doc;
}

std::optional<JsonDocument> Desired(ChildKind kind, const CpaSpec& cpa) {
  switch (kind) {
    case ChildKind::kServiceAccount:
      return DesiredServiceAccount(cpa);
    case ChildKind::kRole:
      return DesiredRole(cpa);
    case ChildKind::kRoleBinding:
      return DesiredRoleBinding(cpa);
    case ChildKind::kPersistentVolumeClaim:
      if (!cpa.storage) return std::nullopt;
      return DesiredPersistentVolumeClaim(cpa);
    case ChildKind::kDeployment:
      return DesiredDeployment(cpa);
  }
  return std::nullopt;
}

std::string SpecHash(const JsonValue& value) {
  std::string text = ToJson(value);
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h);
}

std::optional<ControllerRef> ControllerOf(const JsonValue& object) {
  const JsonValue* meta = FindMember(object, "metadata");
  const JsonValue* refs = meta != nullptr ? FindMember(*meta, "ownerReferences") : nullptr;
  if (refs == nullptr || !refs->IsArray()) return std::nullopt;
  for (const auto& ref : refs->GetArray()) {
    const JsonValue* controller = FindMember(ref, "controller");
    if (controller != nullptr && controller->IsBool() && controller->GetBool()) {
      return ControllerRef{StringMember(ref, "apiVersion"), StringMember(ref, "kind"),
                           StringMember(ref, "name"), StringMember(ref, "uid")};
    }
  }
  return std::nullopt;
}

bool RoleRefChanged(const JsonValue& actual, const JsonValue& desired) {
  const JsonValue* a = FindMember(actual, "roleRef");
  const JsonValue* d = FindMember(desired, "roleRef");
  if (a == nullptr || d == nullptr) return a != d;
  return StringMember(*a, "kind") != StringMember(*d, "kind") ||
         StringMember(*a, "name") != StringMember(*d, "name") ||
         StringMember(*a, "apiGroup") != StringMember(*d, "apiGroup");
}

std::optional<JsonDocument> MergeOwned(ChildKind kind, const JsonValue& actual,
                                       const JsonValue& desired, MergeMode mode) {
  JsonDocument out;
  out.CopyFrom(actual, out.GetAllocator());
  auto& a = out.GetAllocator();
  MergeMetadata(out, desired, a);
  if (mode == MergeMode::kProvisioned) {
    switch (kind) {
      case ChildKind::kServiceAccount:
      case ChildKind::kPersistentVolumeClaim:  // a claim's spec is immutable once bound
        break;
      case ChildKind::kRole:
        SetIfDifferent(out, "rules", FindMember(desired, "rules"), a);
        break;
      case ChildKind::kRoleBinding:
        SetIfDifferent(out, "subjects", FindMember(desired, "subjects"), a);
        break;
      case ChildKind::kDeployment: {
        // The spec is compared by the hash the operator wrote, not field by field: the server
        // defaults many fields of a Deployment. A drifted replica count is put back too.
        std::string want = Annotation(desired, kSpecHashAnnotation);
        if (Annotation(actual, kSpecHashAnnotation) != want ||
            Replicas(actual) != Replicas(desired)) {
          Set(out, "spec", JsonValue(desired["spec"], a), a);
          JsonValue& annotations = EnsureObject(out["metadata"], "annotations", a);
          Set(annotations, kSpecHashAnnotation, JsonString(want, a), a);
        }
        break;
      }
    }
  }
  if (out == actual) return std::nullopt;
  return out;
}

}  // namespace cpa::op
