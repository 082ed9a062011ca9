// The controllers of a real cluster, run synchronously after every write: Deployment ->
// ReplicaSet, ReplicaSet / ReplicationController / StatefulSet -> Pods, and the garbage
// collector for ownerReferences. Part of ObjectStore (object_store.h).
#include <algorithm>
#include <set>

#include "kube/fake/object_store.h"

namespace cpa::kube::fake {
namespace {

void Set(JsonValue& object, std::string_view key, JsonValue value, JsonAllocator& a) {
  auto it = object.FindMember(JsonValue(rapidjson::StringRef(key.data(), key.size())));
  if (it != object.MemberEnd()) {
    it->value = std::move(value);
  } else {
    object.AddMember(JsonString(key, a), std::move(value), a);
  }
}

JsonValue& Obj(JsonValue& parent, std::string_view key, JsonAllocator& a) {
  auto it = parent.FindMember(JsonValue(rapidjson::StringRef(key.data(), key.size())));
  if (it == parent.MemberEnd() || !it->value.IsObject()) {
    Set(parent, key, JsonValue(rapidjson::kObjectType), a);
    it = parent.FindMember(JsonValue(rapidjson::StringRef(key.data(), key.size())));
  }
  return it->value;
}

int64_t Replicas(const JsonValue& object) {
  const JsonValue* spec = FindMember(object, "spec");
  const JsonValue* r = spec != nullptr ? FindMember(*spec, "replicas") : nullptr;
  return r != nullptr && r->IsInt64() ? r->GetInt64() : 1;
}

bool OwnedBy(const JsonValue& object, const std::string& uid) {
  const JsonValue* meta = FindMember(object, "metadata");
  const JsonValue* refs = meta != nullptr ? FindMember(*meta, "ownerReferences") : nullptr;
  if (refs == nullptr || !refs->IsArray()) return false;
  for (const auto& ref : refs->GetArray()) {
    if (StringMember(ref, "uid") == uid) return true;
  }
  return false;
}

bool Deleting(const JsonValue& object) {
  const JsonValue* meta = FindMember(object, "metadata");
  return meta != nullptr && FindMember(*meta, "deletionTimestamp") != nullptr;
}

bool PodReady(const JsonValue& pod) {
  const JsonValue* status = FindMember(pod, "status");
  const JsonValue* conditions = status != nullptr ? FindMember(*status, "conditions") : nullptr;
  if (conditions == nullptr || !conditions->IsArray()) return false;
  for (const auto& c : conditions->GetArray()) {
    if (StringMember(c, "type") == "Ready") return StringMember(c, "status") == "True";
  }
  return false;
}

// apimachinery's SafeEncodeString over the FNV-1a hash of the template.
std::string TemplateHash(const JsonValue& tmpl) {
  std::string text = Serialize(tmpl);
  uint32_t hash = 2166136261u;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 16777619u;
  }
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string decimal = std::to_string(hash);
  std::string out;
  for (char c : decimal) out.push_back(kAlphabet[static_cast<unsigned char>(c) % 27]);
  return out;
}

JsonValue OwnerReference(const JsonValue& owner, JsonAllocator& a) {
  JsonValue ref(rapidjson::kObjectType);
  ref.AddMember("apiVersion", JsonString(StringMember(owner, "apiVersion"), a), a);
  ref.AddMember("kind", JsonString(StringMember(owner, "kind"), a), a);
  ref.AddMember("name", JsonString(MetadataString(owner, "name"), a), a);
  ref.AddMember("uid", JsonString(MetadataString(owner, "uid"), a), a);
  ref.AddMember("controller", true, a);
  ref.AddMember("blockOwnerDeletion", true, a);
  return ref;
}

// Controllers retry on the next write; a failed write is dropped (as a controller would requeue).
template <typename T>
void IgnoreResult(const T& r) {
  (void)r;
}

}  // namespace

JsonDocument ObjectStore::NewPodLocked(const JsonValue& owner, const ResourceType& owner_type,
                                       const JsonValue& template_value, const std::string& name,
                                       const std::string& ns, int ordinal) {
  JsonDocument pod(rapidjson::kObjectType);
  auto& a = pod.GetAllocator();
  pod.AddMember("kind", "Pod", a);
  pod.AddMember("apiVersion", "v1", a);
  JsonValue meta(rapidjson::kObjectType);
  meta.AddMember("name", JsonString(name, a), a);
  const std::string owner_name = MetadataString(owner, "name");
  meta.AddMember("generateName", JsonString(ordinal >= 0 ? owner_name + "-" : owner_name + "-", a),
                 a);
  meta.AddMember("namespace", JsonString(ns, a), a);
  JsonValue labels(rapidjson::kObjectType);
  const JsonValue* tmeta = FindMember(template_value, "metadata");
  if (const JsonValue* l = tmeta != nullptr ? FindMember(*tmeta, "labels") : nullptr;
      l != nullptr && l->IsObject()) {
    labels.CopyFrom(*l, a);
  }
  if (ordinal >= 0) {
    Set(labels, "controller-revision-hash",
        JsonString(owner_name + "-" + TemplateHash(template_value), a), a);
    Set(labels, "statefulset.kubernetes.io/pod-name", JsonString(name, a), a);
  }
  meta.AddMember("labels", labels, a);
  if (const JsonValue* an = tmeta != nullptr ? FindMember(*tmeta, "annotations") : nullptr;
      an != nullptr && an->IsObject()) {
    meta.AddMember("annotations", JsonValue(*an, a), a);
  }
  JsonValue refs(rapidjson::kArrayType);
  refs.PushBack(OwnerReference(owner, a), a);
  meta.AddMember("ownerReferences", refs, a);
  pod.AddMember("metadata", meta, a);
  JsonValue spec(rapidjson::kObjectType);
  if (const JsonValue* s = FindMember(template_value, "spec"); s != nullptr && s->IsObject()) {
    spec.CopyFrom(*s, a);
  }
  if (ordinal >= 0) {
    Set(spec, "hostname", JsonString(name, a), a);
    const JsonValue* owner_spec = FindMember(owner, "spec");
    std::string service = owner_spec != nullptr ? StringMember(*owner_spec, "serviceName") : "";
    if (!service.empty()) Set(spec, "subdomain", JsonString(service, a), a);
  }
  Set(spec, "nodeName", JsonString("fake-node", a), a);
  pod.AddMember("spec", spec, a);
  JsonValue status(rapidjson::kObjectType);
  const std::string now = Now();
  if (options_.pods_start_ready) {
    status.AddMember("phase", "Running", a);
    JsonValue conditions(rapidjson::kArrayType);
    for (const char* type : {"Initialized", "Ready", "ContainersReady", "PodScheduled"}) {
      JsonValue c(rapidjson::kObjectType);
      c.AddMember("type", JsonValue(type, a), a);
      c.AddMember("status", "True", a);
      c.AddMember("lastProbeTime", JsonValue(rapidjson::kNullType), a);
      c.AddMember("lastTransitionTime", JsonString(now, a), a);
      conditions.PushBack(c, a);
    }
    status.AddMember("conditions", conditions, a);
    status.AddMember("hostIP", "10.0.0.1", a);
    std::uniform_int_distribution<int> octet(1, 254);
    status.AddMember("podIP", JsonString(fmt::format("10.244.{}.{}", octet(rng_), octet(rng_)), a),
                     a);
    status.AddMember("startTime", JsonString(now, a), a);
  } else {
    status.AddMember("phase", "Pending", a);
  }
  status.AddMember("qosClass", "BestEffort", a);
  pod.AddMember("status", status, a);
  (void)owner_type;
  return pod;
}

void ObjectStore::RunControllersLocked() {
  if (in_controllers_ || !options_.simulate_controllers) return;
  in_controllers_ = true;
  const ResourceType* deployments = registry_.Find("apps", "v1", "deployments");
  const ResourceType* replicasets = registry_.Find("apps", "v1", "replicasets");
  const ResourceType* statefulsets = registry_.Find("apps", "v1", "statefulsets");
  const ResourceType* rcs = registry_.Find("", "v1", "replicationcontrollers");
  auto snapshot = [&](const ResourceType* type) {
    std::vector<StoredObject> out;
    auto it = objects_.find(type->StorageKey());
    if (it == objects_.end()) return out;
    for (const auto& [key, obj] : it->second) out.push_back(obj);
    return out;
  };
  for (const auto& d : snapshot(deployments)) SyncDeploymentLocked(*deployments, d);
  for (const auto* type : {replicasets, rcs, statefulsets}) {
    for (const auto& owner : snapshot(type)) SyncPodOwnerLocked(*type, owner);
  }
  // Deployment status from its ReplicaSets.
  for (const auto& d : snapshot(deployments)) {
    if (Deleting(*d.doc)) continue;
    const std::string uid = MetadataString(*d.doc, "uid");
    int64_t replicas = 0, ready = 0, updated = 0;
    const JsonValue* d_spec = FindMember(*d.doc, "spec");
    const JsonValue* d_tmpl = d_spec != nullptr ? FindMember(*d_spec, "template") : nullptr;
    const std::string current_rs =
        d_tmpl != nullptr ? MetadataString(*d.doc, "name") + "-" + TemplateHash(*d_tmpl) : "";
    for (const auto& rs : snapshot(replicasets)) {
      if (!OwnedBy(*rs.doc, uid)) continue;
      const JsonValue* st = FindMember(*rs.doc, "status");
      auto count = [&](const char* key) -> int64_t {
        const JsonValue* v = st != nullptr ? FindMember(*st, key) : nullptr;
        return v != nullptr && v->IsInt64() ? v->GetInt64() : 0;
      };
      replicas += count("replicas");
      ready += count("readyReplicas");
      if (MetadataString(*rs.doc, "name") == current_rs) updated += count("replicas");
    }
    JsonDocument doc;
    doc.CopyFrom(*d.doc, doc.GetAllocator());
    auto& a = doc.GetAllocator();
    JsonValue status(rapidjson::kObjectType);
    const JsonValue* g = FindMember(doc["metadata"], "generation");
    status.AddMember("observedGeneration", g != nullptr ? g->GetInt64() : 1, a);
    status.AddMember("replicas", replicas, a);
    status.AddMember("updatedReplicas", updated, a);
    status.AddMember("readyReplicas", ready, a);
    status.AddMember("availableReplicas", ready, a);
    if (replicas > ready) status.AddMember("unavailableReplicas", replicas - ready, a);
    Set(doc, "status", std::move(status), a);
    const std::string d_ns = MetadataString(doc, "namespace");
    const std::string d_name = MetadataString(doc, "name");
    IgnoreResult(UpdateLocked(*deployments, d_ns, d_name, std::move(doc), false, true));
  }
  in_controllers_ = false;
}

void ObjectStore::SyncDeploymentLocked(const ResourceType& type, const StoredObject& deployment) {
  (void)type;
  const JsonValue& d = *deployment.doc;
  if (Deleting(d)) return;
  const JsonValue* spec = FindMember(d, "spec");
  const JsonValue* tmpl = spec != nullptr ? FindMember(*spec, "template") : nullptr;
  const JsonValue* selector = spec != nullptr ? FindMember(*spec, "selector") : nullptr;
  if (tmpl == nullptr || selector == nullptr) return;
  const ResourceType* rs_type = registry_.Find("apps", "v1", "replicasets");
  const std::string ns = MetadataString(d, "namespace");
  const std::string uid = MetadataString(d, "uid");
  const std::string hash = TemplateHash(*tmpl);
  const std::string rs_name = MetadataString(d, "name") + "-" + hash;
  const int64_t replicas = Replicas(d);
  // Old ReplicaSets go to zero at once (a Recreate-like rollout is enough for the fake).
  std::vector<StoredObject> owned;
  if (auto it = objects_.find(rs_type->StorageKey()); it != objects_.end()) {
    for (const auto& [key, obj] : it->second) {
      if (OwnedBy(*obj.doc, uid)) owned.push_back(obj);
    }
  }
  bool found_current = false;
  for (const auto& rs : owned) {
    const bool current = MetadataString(*rs.doc, "name") == rs_name;
    found_current |= current;
    const int64_t want = current ? replicas : 0;
    if (Replicas(*rs.doc) == want) continue;
    JsonDocument doc;
    doc.CopyFrom(*rs.doc, doc.GetAllocator());
    Set(Obj(doc, "spec", doc.GetAllocator()), "replicas", JsonValue(want), doc.GetAllocator());
    const std::string rs_existing = MetadataString(doc, "name");
    IgnoreResult(UpdateLocked(*rs_type, ns, rs_existing, std::move(doc), false, true));
  }
  if (found_current) return;
  JsonDocument rs(rapidjson::kObjectType);
  auto& a = rs.GetAllocator();
  rs.AddMember("kind", "ReplicaSet", a);
  rs.AddMember("apiVersion", "apps/v1", a);
  JsonValue meta(rapidjson::kObjectType);
  meta.AddMember("name", JsonString(rs_name, a), a);
  meta.AddMember("namespace", JsonString(ns, a), a);
  JsonValue pod_template(*tmpl, a);
  JsonValue& tmeta = Obj(pod_template, "metadata", a);
  JsonValue& tlabels = Obj(tmeta, "labels", a);
  Set(tlabels, "pod-template-hash", JsonString(hash, a), a);
  meta.AddMember("labels", JsonValue(tlabels, a), a);
  JsonValue annotations(rapidjson::kObjectType);
  annotations.AddMember("deployment.kubernetes.io/desired-replicas",
                        JsonString(std::to_string(replicas), a), a);
  meta.AddMember("annotations", annotations, a);
  JsonValue refs(rapidjson::kArrayType);
  refs.PushBack(OwnerReference(d, a), a);
  meta.AddMember("ownerReferences", refs, a);
  rs.AddMember("metadata", meta, a);
  JsonValue rs_spec(rapidjson::kObjectType);
  rs_spec.AddMember("replicas", replicas, a);
  JsonValue rs_selector(*selector, a);
  Set(Obj(rs_selector, "matchLabels", a), "pod-template-hash", JsonString(hash, a), a);
  rs_spec.AddMember("selector", rs_selector, a);
  rs_spec.AddMember("template", pod_template, a);
  rs.AddMember("spec", rs_spec, a);
  IgnoreResult(CreateLocked(*rs_type, ns, std::move(rs)));
}

void ObjectStore::SyncPodOwnerLocked(const ResourceType& type, const StoredObject& owner) {
  const JsonValue& o = *owner.doc;
  if (Deleting(o)) return;
  const JsonValue* spec = FindMember(o, "spec");
  const JsonValue* tmpl = spec != nullptr ? FindMember(*spec, "template") : nullptr;
  if (tmpl == nullptr || !tmpl->IsObject()) return;
  const ResourceType* pod_type = registry_.Find("", "v1", "pods");
  const std::string ns = MetadataString(o, "namespace");
  const std::string uid = MetadataString(o, "uid");
  const std::string name = MetadataString(o, "name");
  const bool stateful = type.resource == "statefulsets";
  const int64_t replicas = Replicas(o);
  std::vector<StoredObject> pods;
  if (auto it = objects_.find(pod_type->StorageKey()); it != objects_.end()) {
    for (const auto& [key, pod] : it->second) {
      if (OwnedBy(*pod.doc, uid) && !Deleting(*pod.doc)) pods.push_back(pod);
    }
  }
  if (stateful) {
    std::set<int64_t> have;
    for (const auto& pod : pods) {
      std::string pod_name = MetadataString(*pod.doc, "name");
      int64_t ordinal = std::atoll(pod_name.substr(name.size() + 1).c_str());
      if (ordinal >= replicas) {
        (void)DeleteLocked(*pod_type, ns, pod_name, "Background");
      } else {
        have.insert(ordinal);
      }
    }
    for (int64_t i = 0; i < replicas; ++i) {
      if (have.count(i) != 0) continue;
      std::string pod_name = fmt::format("{}-{}", name, i);
      IgnoreResult(CreateLocked(*pod_type, ns,
                                NewPodLocked(o, type, *tmpl, pod_name, ns, static_cast<int>(i))));
    }
  } else {
    if (static_cast<int64_t>(pods.size()) > replicas) {
      // Newest first, like the ReplicaSet controller's preference for young pods.
      std::sort(pods.begin(), pods.end(),
                [](const StoredObject& x, const StoredObject& y) { return x.rv > y.rv; });
      for (size_t i = 0; i < pods.size() - static_cast<size_t>(replicas); ++i) {
        (void)DeleteLocked(*pod_type, ns, MetadataString(*pods[i].doc, "name"), "Background");
      }
    }
    for (int64_t i = static_cast<int64_t>(pods.size()); i < replicas; ++i) {
      std::string pod_name;
      do {
        pod_name = name + "-" + RandomSuffix(5);
      } while (FindLocked(*pod_type, ns, pod_name) != nullptr);
      IgnoreResult(CreateLocked(*pod_type, ns, NewPodLocked(o, type, *tmpl, pod_name, ns, -1)));
    }
  }
  // Status from the pods that now exist.
  int64_t count = 0, ready = 0;
  if (auto it = objects_.find(pod_type->StorageKey()); it != objects_.end()) {
    for (const auto& [key, pod] : it->second) {
      if (!OwnedBy(*pod.doc, uid) || Deleting(*pod.doc)) continue;
      ++count;
      if (PodReady(*pod.doc)) ++ready;
    }
  }
  const StoredObject* latest = FindLocked(type, ns, name);
  if (latest == nullptr) return;
  JsonDocument doc;
  doc.CopyFrom(*latest->doc, doc.GetAllocator());
  auto& a = doc.GetAllocator();
  JsonValue status(rapidjson::kObjectType);
  status.AddMember("replicas", count, a);
  if (!stateful) status.AddMember("fullyLabeledReplicas", count, a);
  status.AddMember("readyReplicas", ready, a);
  status.AddMember("availableReplicas", ready, a);
  if (stateful) {
    status.AddMember("currentReplicas", count, a);
    status.AddMember("updatedReplicas", count, a);
  }
  const JsonValue* g = FindMember(doc["metadata"], "generation");
  status.AddMember("observedGeneration", g != nullptr && g->IsInt64() ? g->GetInt64() : 1, a);
  Set(doc, "status", std::move(status), a);
  IgnoreResult(UpdateLocked(type, ns, name, std::move(doc), false, true));
}

void ObjectStore::CollectGarbageLocked(const std::string& owner_uid,
                                       const std::string& propagation) {
  if (owner_uid.empty()) return;
  std::set<std::string> live_uids;
  struct Dependent {
    std::string storage_key, ns, name;
  };
  std::vector<Dependent> dependents;
  for (const auto& [storage_key, objects] : objects_) {
    for (const auto& [key, obj] : objects) {
      live_uids.insert(MetadataString(*obj.doc, "uid"));
      if (OwnedBy(*obj.doc, owner_uid)) {
        dependents.push_back(
            {storage_key, MetadataString(*obj.doc, "namespace"), MetadataString(*obj.doc, "name")});
      }
    }
  }
  for (const auto& dep : dependents) {
    const ResourceType* type = TypeForStorageKey(dep.storage_key);
    if (type == nullptr) continue;
    const StoredObject* found = FindLocked(*type, dep.ns, dep.name);
    if (found == nullptr) continue;
    bool other_live_owner = false;
    const JsonValue& refs = (*found->doc)["metadata"]["ownerReferences"];
    for (const auto& ref : refs.GetArray()) {
      std::string uid = StringMember(ref, "uid");
      if (uid != owner_uid && live_uids.count(uid) != 0) other_live_owner = true;
    }
    if (propagation == "Orphan" || other_live_owner) {
      JsonDocument doc;
      doc.CopyFrom(*found->doc, doc.GetAllocator());
      JsonValue& list = doc["metadata"]["ownerReferences"];
      for (auto it = list.Begin(); it != list.End();) {
        if (StringMember(*it, "uid") == owner_uid) {
          it = list.Erase(it);
        } else {
          ++it;
        }
      }
      if (list.Empty()) doc["metadata"].RemoveMember("ownerReferences");
      IgnoreResult(UpdateLocked(*type, dep.ns, dep.name, std::move(doc), false, true));
    } else {
      (void)DeleteLocked(*type, dep.ns, dep.name, propagation);
    }
  }
}

}  // namespace cpa::kube::fake
