#include "kube/fake/object_store.h"

#include <algorithm>
#include <regex>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "kube/fake/json_patch.h"

namespace cpa::kube::fake {
namespace {

JsonValue& EnsureObject(JsonValue& parent, std::string_view key, JsonAllocator& a) {
  auto it = parent.FindMember(JsonValue(rapidjson::StringRef(key.data(), key.size())));
  if (it != parent.MemberEnd()) {
    if (!it->value.IsObject()) it->value.SetObject();
    return it->value;
  }
  parent.AddMember(JsonString(key, a), JsonValue(rapidjson::kObjectType), a);
  return parent[JsonValue(rapidjson::StringRef(key.data(), key.size()))];
}

void SetMember(JsonValue& object, std::string_view key, JsonValue value, JsonAllocator& a) {
  auto it = object.FindMember(JsonValue(rapidjson::StringRef(key.data(), key.size())));
  if (it != object.MemberEnd()) {
    it->value = std::move(value);
  } else {
    object.AddMember(JsonString(key, a), std::move(value), a);
  }
}

void RemoveMember(JsonValue& object, std::string_view key) {
  if (object.IsObject())
    object.RemoveMember(JsonValue(rapidjson::StringRef(key.data(), key.size())));
}

std::string ObjectKey(const std::string& ns, const std::string& name) { return ns + "/" + name; }

ApiFailure Failure(int code, std::string reason, std::string message, const ResourceType* type,
                   const std::string& name) {
  ApiFailure f;
  f.code = code;
  f.reason = std::move(reason);
  f.message = std::move(message);
  f.name = name;
  if (type != nullptr) {
    f.group = type->group;
    f.kind = type->resource;
  }
  return f;
}

ApiFailure NotFound(const ResourceType& type, const std::string& name) {
  return Failure(404, "NotFound", fmt::format("{} \"{}\" not found", type.GroupResource(), name),
                 &type, name);
}

ApiFailure ConflictFailure(const ResourceType& type, const std::string& name) {
  return Failure(409, "Conflict",
                 fmt::format("Operation cannot be fulfilled on {} \"{}\": the object has been "
                             "modified; please apply your changes to the latest version and try "
                             "again",
                             type.GroupResource(), name),
                 &type, name);
}

ApiFailure BadRequest(std::string message) {
  return Failure(400, "BadRequest", std::move(message), nullptr, "");
}

ApiFailure Invalid(const ResourceType& type, const std::string& name,
                   std::vector<ApiFailure::Cause> causes) {
  std::string qualified = type.group.empty() ? type.kind : type.kind + "." + type.group;
  std::vector<std::string> parts;
  for (const auto& c : causes) parts.push_back(fmt::format("{}: {}", c.field, c.message));
  std::string joined = parts.size() == 1 ? parts[0] : fmt::format("[{}]", fmt::join(parts, ", "));
  ApiFailure f =
      Failure(422, "Invalid", fmt::format("{} \"{}\" is invalid: {}", qualified, name, joined),
              &type, name);
  f.kind = type.kind;
  f.causes = std::move(causes);
  return f;
}

const std::regex& SubdomainPattern() {
  static const std::regex re("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  return re;
}

std::optional<ApiFailure::Cause> ValidateName(const std::string& name) {
  if (name.size() <= 253 && std::regex_match(name, SubdomainPattern())) return std::nullopt;
  return ApiFailure::Cause{
      "FieldValueInvalid",
      fmt::format("Invalid value: \"{}\": a lowercase RFC 1123 subdomain must consist of lower "
                  "case alphanumeric characters, '-' or '.', and must start and end with an "
                  "alphanumeric character (e.g. 'example.com', regex used for validation is "
                  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
                  name),
      "metadata.name"};
}

// Type-specific validation of the parts the fake relies on.
std::vector<ApiFailure::Cause> ValidateObject(const ResourceType& type, const JsonValue& object) {
  std::vector<ApiFailure::Cause> causes;
  const JsonValue* spec = FindMember(object, "spec");
  if (type.scale == ScaleMode::kSelectorStruct && type.builtin) {
    const JsonValue* selector = spec != nullptr ? FindMember(*spec, "selector") : nullptr;
    const JsonValue* tmpl = spec != nullptr ? FindMember(*spec, "template") : nullptr;
    const JsonValue* tmeta = tmpl != nullptr ? FindMember(*tmpl, "metadata") : nullptr;
    const JsonValue* labels = tmeta != nullptr ? FindMember(*tmeta, "labels") : nullptr;
    if (selector == nullptr || selector->IsNull()) {
      // A nil selector selects nothing, so it does not match the template labels either.
      causes.push_back({"FieldValueRequired", "Required value", "spec.selector"});
      causes.push_back({"FieldValueInvalid",
                        "Invalid value: map[string]string(nil): `selector` does not match "
                        "template `labels`",
                        "spec.template.metadata.labels"});
    } else if (auto parsed = LabelSelector::FromJson(*selector); !parsed) {
      causes.push_back({"FieldValueInvalid", parsed.error().message, "spec.selector"});
    } else if (parsed->Empty()) {
      causes.push_back({"FieldValueInvalid",
                        "Invalid value: \"\": empty selector is invalid for deployment",
                        "spec.selector"});
    } else if (!parsed->Matches(labels)) {
      causes.push_back({"FieldValueInvalid",
                        "Invalid value: map[string]string(nil): `selector` does not match "
                        "template `labels`",
                        "spec.template.metadata.labels"});
    }
    const JsonValue* tspec = tmpl != nullptr ? FindMember(*tmpl, "spec") : nullptr;
    const JsonValue* containers = tspec != nullptr ? FindMember(*tspec, "containers") : nullptr;
    if (containers == nullptr || !containers->IsArray() || containers->Empty()) {
      causes.push_back({"FieldValueRequired", "Required value", "spec.template.spec.containers"});
    }
  }
  if (type.group.empty() && type.resource == "pods") {
    const JsonValue* containers = spec != nullptr ? FindMember(*spec, "containers") : nullptr;
    if (containers == nullptr || !containers->IsArray() || containers->Empty()) {
      causes.push_back({"FieldValueRequired", "Required value", "spec.containers"});
    }
  }
  if (type.scale != ScaleMode::kNone && type.builtin && spec != nullptr) {
    if (const JsonValue* r = FindMember(*spec, "replicas"); r != nullptr && !r->IsNull()) {
      if (!r->IsInt() || r->GetInt() < 0) {
        causes.push_back({"FieldValueInvalid", "Invalid value: must be greater than or equal to 0",
                          "spec.replicas"});
      }
    }
  }
  return causes;
}

// Everything but metadata and status: what metadata.generation tracks.
bool SpecChanged(const JsonValue& a, const JsonValue& b) {
  auto filtered = [](const JsonValue& v) {
    std::map<std::string, const JsonValue*> out;
    if (!v.IsObject()) return out;
    for (const auto& m : v.GetObject()) {
      std::string_view k = m.name.GetString();
      if (k == "metadata" || k == "status" || k == "kind" || k == "apiVersion") continue;
      out.emplace(std::string(k), &m.value);
    }
    return out;
  };
  auto fa = filtered(a);
  auto fb = filtered(b);
  if (fa.size() != fb.size()) return true;
  for (const auto& [k, v] : fa) {
    auto it = fb.find(k);
    if (it == fb.end() || *it->second != *v) return true;
  }
  return false;
}

std::string SerializeItem(const JsonValue& value, bool omit_type) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  if (!omit_type || !value.IsObject()) {
    value.Accept(writer);
  } else {
    writer.StartObject();
    for (const auto& m : value.GetObject()) {
      std::string_view k = m.name.GetString();
      if (k == "kind" || k == "apiVersion") continue;
      writer.Key(m.name.GetString(), m.name.GetStringLength());
      m.value.Accept(writer);
    }
    writer.EndObject();
  }
  return std::string(buffer.GetString(), buffer.GetSize());
}

// ".spec.replicas" -> ["spec", "replicas"]
std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '.') {
      ++pos;
      continue;
    }
    size_t next = path.find('.', pos);
    out.push_back(path.substr(pos, next == std::string::npos ? std::string::npos : next - pos));
    if (next == std::string::npos) break;
    pos = next;
  }
  return out;
}

const JsonValue* AtPath(const JsonValue& root, const std::string& path) {
  const JsonValue* v = &root;
  for (const auto& token : SplitPath(path)) {
    v = FindMember(*v, token);
    if (v == nullptr) return nullptr;
  }
  return v;
}

void SetAtPath(JsonValue& root, const std::string& path, JsonValue value, JsonAllocator& a) {
  auto tokens = SplitPath(path);
  if (tokens.empty()) return;
  JsonValue* v = &root;
  for (size_t i = 0; i + 1 < tokens.size(); ++i) v = &EnsureObject(*v, tokens[i], a);
  SetMember(*v, tokens.back(), std::move(value), a);
}

bool FieldSelectorMatches(const std::vector<std::tuple<std::string, bool, std::string>>& reqs,
                          const JsonValue& object) {
  for (const auto& [field, equal, value] : reqs) {
    std::string actual;
    if (field == "metadata.name") {
      actual = MetadataString(object, "name");
    } else if (field == "metadata.namespace") {
      actual = MetadataString(object, "namespace");
    } else {
      const JsonValue* v = AtPath(object, field);
      actual = v != nullptr && v->IsString() ? v->GetString() : "";
    }
    if ((actual == value) != equal) return false;
  }
  return true;
}

}  // namespace

std::string Serialize(const JsonValue& value) { return SerializeItem(value, false); }

std::string ApiFailure::ToStatusJson() const {
  JsonDocument doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("kind", "Status", a);
  doc.AddMember("apiVersion", "v1", a);
  doc.AddMember("metadata", JsonValue(rapidjson::kObjectType), a);
  doc.AddMember("status", "Failure", a);
  doc.AddMember("message", JsonString(message, a), a);
  if (!reason.empty()) doc.AddMember("reason", JsonString(reason, a), a);
  if (!name.empty() || !kind.empty() || !causes.empty()) {
    JsonValue details(rapidjson::kObjectType);
    if (!name.empty()) details.AddMember("name", JsonString(name, a), a);
    if (!group.empty()) details.AddMember("group", JsonString(group, a), a);
    if (!kind.empty()) details.AddMember("kind", JsonString(kind, a), a);
    if (!causes.empty()) {
      JsonValue list(rapidjson::kArrayType);
      for (const auto& c : causes) {
        JsonValue cause(rapidjson::kObjectType);
        cause.AddMember("reason", JsonString(c.reason, a), a);
        cause.AddMember("message", JsonString(c.message, a), a);
        cause.AddMember("field", JsonString(c.field, a), a);
        list.PushBack(cause, a);
      }
      details.AddMember("causes", list, a);
    }
    doc.AddMember("details", details, a);
  }
  doc.AddMember("code", code, a);
  return Serialize(doc);
}

ObjectStore::ObjectStore(Clock* clock, StoreOptions options)
    : clock_(clock), options_(options), rng_(options.seed) {}

std::string ObjectStore::NewUid() {
  std::uniform_int_distribution<uint32_t> d(0, 15);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out.push_back('-');
    uint32_t v = d(rng_);
    if (i == 12) v = 4;            // version 4
    if (i == 16) v = 8 + (v & 3);  // variant
    out.push_back(kHex[v]);
  }
  return out;
}

std::string ObjectStore::RandomSuffix(size_t length) {
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";  // as apimachinery's rand
  std::uniform_int_distribution<size_t> d(0, sizeof(kAlphabet) - 2);
  std::string out;
  for (size_t i = 0; i < length; ++i) out.push_back(kAlphabet[d(rng_)]);
  return out;
}

std::string ObjectStore::Now() const { return FormatRfc3339(clock_->Now()); }

std::optional<ResourceType> ObjectStore::FindType(const std::string& group,
                                                  const std::string& version,
                                                  const std::string& resource) {
  std::lock_guard lock(mu_);
  const ResourceType* type = registry_.Find(group, version, resource);
  if (type == nullptr) return std::nullopt;
  return *type;
}

std::optional<ResourceType> ObjectStore::FindKind(const std::string& api_version,
                                                  const std::string& kind) {
  std::lock_guard lock(mu_);
  const ResourceType* type = registry_.FindKind(api_version, kind);
  if (type == nullptr) return std::nullopt;
  return *type;
}

std::optional<std::string> ObjectStore::ResourceListJson(const std::string& group,
                                                         const std::string& version) {
  std::lock_guard lock(mu_);
  return registry_.ResourceListJson(group, version);
}

std::string ObjectStore::ApiGroupListJson(bool with_metrics) {
  std::lock_guard lock(mu_);
  return registry_.ApiGroupListJson(with_metrics);
}

const ResourceType* ObjectStore::TypeForStorageKey(const std::string& storage_key) {
  for (const char* v : {"v1", "v2", "v1beta1", "v1alpha1", "v1beta2"}) {
    size_t slash = storage_key.find('/');
    const ResourceType* t =
        registry_.Find(storage_key.substr(0, slash), v, storage_key.substr(slash + 1));
    if (t != nullptr) return t;
  }
  return nullptr;
}

const StoredObject* ObjectStore::FindLocked(const ResourceType& type, const std::string& ns,
                                            const std::string& name) {
  auto store = objects_.find(type.StorageKey());
  if (store == objects_.end()) return nullptr;
  auto it = store->second.find(ObjectKey(type.namespaced ? ns : "", name));
  return it == store->second.end() ? nullptr : &it->second;
}

StoredObject ObjectStore::Commit(const ResourceType& type, const std::string& key, JsonDocument doc,
                                 const std::string& event_type, const StoredObject* old) {
  ++rv_;
  auto& a = doc.GetAllocator();
  JsonValue& meta = EnsureObject(doc, "metadata", a);
  SetMember(meta, "resourceVersion", JsonString(std::to_string(rv_), a), a);
  StoredObject stored;
  stored.rv = rv_;
  stored.json = std::make_shared<const std::string>(Serialize(doc));
  stored.item_json =
      type.builtin ? std::make_shared<const std::string>(SerializeItem(doc, true)) : stored.json;
  WatchRecord record;
  record.rv = rv_;
  record.storage_key = type.StorageKey();
  record.ns = MetadataString(doc, "namespace");
  record.name = MetadataString(doc, "name");
  record.type = event_type;
  record.json = stored.json;
  record.labels = LabelsOf(FindMember(meta, "labels"));
  if (old != nullptr) {
    const JsonValue* old_meta = FindMember(*old->doc, "metadata");
    record.old_labels = LabelsOf(old_meta != nullptr ? FindMember(*old_meta, "labels") : nullptr);
  }
  stored.doc = std::make_shared<const JsonDocument>(std::move(doc));
  auto& store = objects_[type.StorageKey()];
  if (event_type == "DELETED") {
    store.erase(key);
  } else {
    store[key] = stored;
  }
  history_.push_back(std::move(record));
  while (history_.size() > options_.watch_history) {
    compacted_rv_ = history_.front().rv;
    history_.pop_front();
  }
  cv_.notify_all();
  return stored;
}

FakeResult<StoredObject> ObjectStore::Create(const ResourceType& type, const std::string& ns,
                                             JsonDocument object) {
  std::lock_guard lock(mu_);
  const JsonValue* meta = FindMember(object, "metadata");
  if (meta != nullptr && !MetadataString(object, "resourceVersion").empty()) {
    return std::unexpected(
        // A plain storage error on a real server: code 500, no reason.
        Failure(500, "", "resourceVersion should not be set on objects to be created", nullptr,
                ""));
  }
  return CreateLocked(type, ns, std::move(object));
}

FakeResult<StoredObject> ObjectStore::CreateSeed(const ResourceType& type, const std::string& ns,
                                                 JsonDocument object) {
  std::lock_guard lock(mu_);
  seeding_ = true;
  auto result = CreateLocked(type, ns, std::move(object));
  seeding_ = false;
  return result;
}

FakeResult<StoredObject> ObjectStore::CreateLocked(const ResourceType& type, const std::string& ns,
                                                   JsonDocument object) {
  if (!object.IsObject()) return std::unexpected(BadRequest("the body is not a JSON object"));
  auto& a = object.GetAllocator();
  JsonValue& meta = EnsureObject(object, "metadata", a);
  std::string body_ns = StringMember(meta, "namespace");
  std::string effective_ns;
  if (type.namespaced) {
    if (ns.empty()) return std::unexpected(BadRequest("a namespace is required"));
    if (!body_ns.empty() && body_ns != ns) {
      return std::unexpected(BadRequest(
          "the namespace of the provided object does not match the namespace sent on the "
          "request"));
    }
    effective_ns = ns;
    SetMember(meta, "namespace", JsonString(ns, a), a);
  } else {
    RemoveMember(meta, "namespace");
  }
  std::string name = StringMember(meta, "name");
  if (name.empty()) {
    std::string generate = StringMember(meta, "generateName");
    if (generate.empty()) {
      return std::unexpected(
          Invalid(type, "",
                  {{"FieldValueRequired", "Required value: name or generateName is required",
                    "metadata.name"}}));
    }
    name = generate + RandomSuffix(5);
    SetMember(meta, "name", JsonString(name, a), a);
  }
  std::vector<ApiFailure::Cause> causes;
  if (auto cause = ValidateName(name)) causes.push_back(*cause);
  for (auto& c : ValidateObject(type, object)) causes.push_back(std::move(c));
  if (!causes.empty()) return std::unexpected(Invalid(type, name, std::move(causes)));
  if (FindLocked(type, effective_ns, name) != nullptr) {
    return std::unexpected(
        Failure(409, "AlreadyExists",
                fmt::format("{} \"{}\" already exists", type.GroupResource(), name), &type, name));
  }
  SetMember(object, "apiVersion", JsonString(type.ApiVersion(), a), a);
  SetMember(object, "kind", JsonString(type.kind, a), a);
  JsonValue& m = EnsureObject(object, "metadata", a);
  if (!seeding_ || StringMember(m, "uid").empty()) SetMember(m, "uid", JsonString(NewUid(), a), a);
  if (!seeding_ || StringMember(m, "creationTimestamp").empty()) {
    SetMember(m, "creationTimestamp", JsonString(Now(), a), a);
  }
  RemoveMember(m, "deletionTimestamp");
  RemoveMember(m, "resourceVersion");
  if (type.tracks_generation) SetMember(m, "generation", JsonValue(1), a);
  // Defaulting that clients observe: workloads default to one replica.
  if (type.scale != ScaleMode::kNone && type.builtin) {
    JsonValue& spec = EnsureObject(object, "spec", a);
    if (FindMember(spec, "replicas") == nullptr) SetMember(spec, "replicas", JsonValue(1), a);
  }
  if (type.has_status && !in_controllers_ && !seeding_) {
    // Create ignores status where a status subresource owns it.
    JsonValue status(rapidjson::kObjectType);
    if (type.group.empty() && type.resource == "pods") status.AddMember("phase", "Pending", a);
    SetMember(object, "status", std::move(status), a);
  }
  if (type.group == "apiextensions.k8s.io" && type.resource == "customresourcedefinitions") {
    if (auto registered = registry_.RegisterCrd(object); !registered) {
      return std::unexpected(
          Invalid(type, name, {{"FieldValueInvalid", registered.error().message, "spec"}}));
    }
    JsonValue status(rapidjson::kObjectType);
    if (const JsonValue* spec = FindMember(object, "spec")) {
      if (const JsonValue* names = FindMember(*spec, "names")) {
        status.AddMember("acceptedNames", JsonValue(*names, a), a);
      }
    }
    JsonValue conditions(rapidjson::kArrayType);
    JsonValue established(rapidjson::kObjectType);
    established.AddMember("type", "Established", a);
    established.AddMember("status", "True", a);
    established.AddMember("lastTransitionTime", JsonString(Now(), a), a);
    conditions.PushBack(established, a);
    status.AddMember("conditions", conditions, a);
    SetMember(object, "status", std::move(status), a);
  }
  StoredObject stored =
      Commit(type, ObjectKey(effective_ns, name), std::move(object), "ADDED", nullptr);
  RunControllersLocked();
  if (const StoredObject* latest = FindLocked(type, effective_ns, name)) return *latest;
  return stored;
}

FakeResult<StoredObject> ObjectStore::Get(const ResourceType& type, const std::string& ns,
                                          const std::string& name) {
  std::lock_guard lock(mu_);
  const StoredObject* found = FindLocked(type, ns, name);
  if (found == nullptr) return std::unexpected(NotFound(type, name));
  return *found;
}

FakeResult<StoredObject> ObjectStore::Update(const ResourceType& type, const std::string& ns,
                                             const std::string& name, JsonDocument object,
                                             bool status_only) {
  std::lock_guard lock(mu_);
  return UpdateLocked(type, ns, name, std::move(object), status_only, false);
}

FakeResult<StoredObject> ObjectStore::UpdateLocked(const ResourceType& type, const std::string& ns,
                                                   const std::string& name, JsonDocument object,
                                                   bool status_only, bool internal) {
  const StoredObject* found = FindLocked(type, ns, name);
  if (found == nullptr) return std::unexpected(NotFound(type, name));
  const StoredObject old = *found;
  const JsonValue& old_doc = *old.doc;
  if (!object.IsObject()) return std::unexpected(BadRequest("the body is not a JSON object"));
  auto& a = object.GetAllocator();
  JsonValue& meta = EnsureObject(object, "metadata", a);
  std::string body_name = StringMember(meta, "name");
  if (!body_name.empty() && body_name != name) {
    return std::unexpected(BadRequest(fmt::format(
        "the name of the object ({}) does not match the name on the URL ({})", body_name, name)));
  }
  std::string body_ns = StringMember(meta, "namespace");
  if (type.namespaced && !body_ns.empty() && body_ns != ns) {
    return std::unexpected(BadRequest(
        "the namespace of the provided object does not match the namespace sent on the request"));
  }
  std::string body_rv = StringMember(meta, "resourceVersion");
  if (!body_rv.empty() && body_rv != std::to_string(old.rv)) {
    return std::unexpected(ConflictFailure(type, name));
  }
  JsonDocument next;
  if (status_only) {
    next.CopyFrom(old_doc, next.GetAllocator());
    JsonValue status(rapidjson::kObjectType);
    if (const JsonValue* s = FindMember(object, "status")) status.CopyFrom(*s, next.GetAllocator());
    SetMember(next, "status", std::move(status), next.GetAllocator());
  } else {
    next.Swap(object);
    auto& na = next.GetAllocator();
    if (type.has_status && !internal) {
      if (const JsonValue* s = FindMember(old_doc, "status")) {
        SetMember(next, "status", JsonValue(*s, na), na);
      } else {
        RemoveMember(next, "status");
      }
    }
    JsonValue& nm = EnsureObject(next, "metadata", na);
    const JsonValue& om = old_doc["metadata"];
    for (const char* key : {"uid", "creationTimestamp", "generation", "deletionTimestamp",
                            "deletionGracePeriodSeconds"}) {
      RemoveMember(nm, key);
      if (const JsonValue* v = FindMember(om, key)) {
        nm.AddMember(JsonValue(key, na), JsonValue(*v, na), na);
      }
    }
    SetMember(nm, "name", JsonString(name, na), na);
    if (type.namespaced) {
      SetMember(nm, "namespace", JsonString(ns, na), na);
    } else {
      RemoveMember(nm, "namespace");
    }
    SetMember(next, "apiVersion", JsonString(type.ApiVersion(), na), na);
    SetMember(next, "kind", JsonString(type.kind, na), na);
    std::vector<ApiFailure::Cause> causes = ValidateObject(type, next);
    if (type.scale == ScaleMode::kSelectorStruct && type.builtin) {
      const JsonValue* os = FindMember(old_doc, "spec");
      const JsonValue* ns_spec = FindMember(next, "spec");
      const JsonValue* osel = os != nullptr ? FindMember(*os, "selector") : nullptr;
      const JsonValue* nsel = ns_spec != nullptr ? FindMember(*ns_spec, "selector") : nullptr;
      if (osel != nullptr && nsel != nullptr && *osel != *nsel) {
        causes.push_back({"FieldValueInvalid", "field is immutable", "spec.selector"});
      }
    }
    if (!causes.empty()) return std::unexpected(Invalid(type, name, std::move(causes)));
    if (type.tracks_generation && SpecChanged(old_doc, next)) {
      int64_t generation = 1;
      if (const JsonValue* g = FindMember(nm, "generation"); g != nullptr && g->IsInt64()) {
        generation = g->GetInt64();
      }
      SetMember(nm, "generation", JsonValue(generation + 1), na);
    }
  }
  auto& na = next.GetAllocator();
  SetMember(next["metadata"], "resourceVersion", JsonString(std::to_string(old.rv), na), na);
  if (next == old_doc) return old;  // a no-op write changes nothing
  // The last finalizer removed from an object being deleted completes the deletion.
  const JsonValue* finalizers = FindMember(next["metadata"], "finalizers");
  const bool has_finalizers =
      finalizers != nullptr && finalizers->IsArray() && !finalizers->Empty();
  const std::string key = ObjectKey(type.namespaced ? ns : "", name);
  if (FindMember(next["metadata"], "deletionTimestamp") != nullptr && !has_finalizers) {
    std::string uid = MetadataString(next, "uid");
    StoredObject gone = Commit(type, key, std::move(next), "DELETED", &old);
    CollectGarbageLocked(uid, "Background");
    RunControllersLocked();
    return gone;
  }
  StoredObject stored = Commit(type, key, std::move(next), "MODIFIED", &old);
  RunControllersLocked();
  if (const StoredObject* latest = FindLocked(type, ns, name)) return *latest;
  return stored;
}

FakeResult<StoredObject> ObjectStore::Patch(const ResourceType& type, const std::string& ns,
                                            const std::string& name,
                                            const std::string& content_type,
                                            const std::string& body, bool status_only) {
  std::lock_guard lock(mu_);
  const StoredObject* found = FindLocked(type, ns, name);
  if (found == nullptr) return std::unexpected(NotFound(type, name));
  auto patch = ParseJson(body);
  if (!patch) return std::unexpected(BadRequest("error decoding patch: " + patch.error().message));
  JsonDocument doc;
  doc.CopyFrom(*found->doc, doc.GetAllocator());
  std::string ct = content_type.substr(0, content_type.find(';'));
  if (ct == "application/merge-patch+json" ||
      (ct == "application/strategic-merge-patch+json" && type.builtin)) {
    if (!patch->IsObject()) return std::unexpected(BadRequest("a merge patch must be an object"));
    ApplyMergePatch(doc, *patch, doc.GetAllocator());
  } else if (ct == "application/json-patch+json") {
    if (auto applied = ApplyJsonPatch(doc, *patch, doc.GetAllocator()); !applied) {
      return std::unexpected(Failure(422, "Invalid",
                                     "the server rejected our request due to an error in our "
                                     "request: " +
                                         applied.error().message,
                                     &type, name));
    }
  } else {
    return std::unexpected(
        Failure(415, "UnsupportedMediaType",
                fmt::format("the body of the request was in an unknown format "
                            "- accepted media types include: "
                            "application/json-patch+json, "
                            "application/merge-patch+json{}",
                            type.builtin ? ", application/apply-patch+yaml, "
                                           "application/strategic-merge-patch+json"
                                         : ", application/apply-patch+yaml"),
                nullptr, ""));
  }
  return UpdateLocked(type, ns, name, std::move(doc), status_only, false);
}

void ObjectStore::RemoveLocked(const ResourceType& type, const std::string& key,
                               const StoredObject& old) {
  JsonDocument doc;
  doc.CopyFrom(*old.doc, doc.GetAllocator());
  Commit(type, key, std::move(doc), "DELETED", &old);
}

FakeResult<std::string> ObjectStore::Delete(const ResourceType& type, const std::string& ns,
                                            const std::string& name,
                                            const std::string& propagation) {
  std::lock_guard lock(mu_);
  auto result = DeleteLocked(type, ns, name, propagation);
  RunControllersLocked();
  return result;
}

FakeResult<std::string> ObjectStore::DeleteLocked(const ResourceType& type, const std::string& ns,
                                                  const std::string& name,
                                                  const std::string& propagation) {
  const StoredObject* found = FindLocked(type, ns, name);
  if (found == nullptr) return std::unexpected(NotFound(type, name));
  const StoredObject old = *found;
  const std::string key = ObjectKey(type.namespaced ? ns : "", name);
  const JsonValue* finalizers = FindMember((*old.doc)["metadata"], "finalizers");
  if (finalizers != nullptr && finalizers->IsArray() && !finalizers->Empty()) {
    if (FindMember((*old.doc)["metadata"], "deletionTimestamp") != nullptr) return *old.json;
    JsonDocument doc;
    doc.CopyFrom(*old.doc, doc.GetAllocator());
    auto& a = doc.GetAllocator();
    SetMember(doc["metadata"], "deletionTimestamp", JsonString(Now(), a), a);
    SetMember(doc["metadata"], "deletionGracePeriodSeconds", JsonValue(0), a);
    return *Commit(type, key, std::move(doc), "MODIFIED", &old).json;
  }
  const std::string uid = MetadataString(*old.doc, "uid");
  RemoveLocked(type, key, old);
  if (type.group == "apiextensions.k8s.io" && type.resource == "customresourcedefinitions") {
    std::string storage = registry_.UnregisterCrd(*old.doc);
    auto it = objects_.find(storage);
    if (it != objects_.end()) {
      std::vector<std::pair<std::string, StoredObject>> doomed(it->second.begin(),
                                                               it->second.end());
      ResourceType gone;  // the type is unregistered: keep what Commit needs
      size_t slash = storage.find('/');
      gone.group = storage.substr(0, slash);
      gone.resource = storage.substr(slash + 1);
      gone.builtin = false;
      for (auto& [k, obj] : doomed) RemoveLocked(gone, k, obj);
      objects_.erase(storage);
    }
  }
  CollectGarbageLocked(uid, propagation.empty() ? "Background" : propagation);
  if ((type.group.empty() && type.resource == "pods") || !type.builtin) return *old.json;
  return fmt::format(
      R"({{"kind":"Status","apiVersion":"v1","metadata":{{}},"status":"Success","details":{{"name":"{}","group":"{}","kind":"{}","uid":"{}"}}}})",
      name, type.group, type.resource, uid);
}

FakeResult<std::string> ObjectStore::List(const ResourceType& type, const std::string& ns,
                                          const std::string& label_selector,
                                          const std::string& field_selector, int64_t limit,
                                          const std::string& continue_token) {
  auto selector = LabelSelector::Parse(label_selector);
  if (!selector) {
    return std::unexpected(
        BadRequest(fmt::format("unable to parse requirement: {}", selector.error().message)));
  }
  std::vector<std::tuple<std::string, bool, std::string>> fields;
  {
    std::string_view rest = field_selector;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view term = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      size_t op = term.find("!=");
      bool equal = op == std::string_view::npos;
      size_t value_at = 0;
      if (equal) {
        op = term.find('=');
        if (op == std::string_view::npos) {
          return std::unexpected(BadRequest(fmt::format("invalid field selector \"{}\"", term)));
        }
        value_at = op + 1;
        if (value_at < term.size() && term[value_at] == '=') ++value_at;
      } else {
        value_at = op + 2;
      }
      std::string field(term.substr(0, op));
      if (field != "metadata.name" && field != "metadata.namespace" &&
          !(type.resource == "pods" && (field == "status.phase" || field == "spec.nodeName"))) {
        return std::unexpected(BadRequest(fmt::format("field label not supported: {}", field)));
      }
      fields.emplace_back(field, equal, std::string(term.substr(value_at)));
    }
  }
  std::lock_guard lock(mu_);
  std::string out;
  std::string items;
  int64_t count = 0;
  int64_t remaining = 0;
  std::string next_token;
  auto store = objects_.find(type.StorageKey());
  if (store != objects_.end()) {
    size_t estimate = 0;
    for (const auto& [key, obj] : store->second) estimate += obj.item_json->size() + 1;
    items.reserve(estimate + 512);
    auto it =
        continue_token.empty() ? store->second.begin() : store->second.upper_bound(continue_token);
    for (; it != store->second.end(); ++it) {
      const JsonValue& doc = *it->second.doc;
      if (type.namespaced && !ns.empty() && MetadataString(doc, "namespace") != ns) continue;
      const JsonValue* meta = FindMember(doc, "metadata");
      if (!selector->Empty() &&
          !selector->Matches(meta != nullptr ? FindMember(*meta, "labels") : nullptr)) {
        continue;
      }
      if (!fields.empty() && !FieldSelectorMatches(fields, doc)) continue;
      if (limit > 0 && count == limit) {
        ++remaining;
        continue;
      }
      if (count > 0) items += ',';
      items += *it->second.item_json;
      ++count;
      if (limit > 0 && count == limit) next_token = it->first;
    }
  }
  if (remaining == 0) next_token.clear();
  out.reserve(256);
  out += R"({"kind":")";
  out += type.list_kind;
  out += R"(","apiVersion":")";
  out += type.ApiVersion();
  out += R"(","metadata":{"resourceVersion":")";
  out += std::to_string(rv_);
  out += '"';
  if (!next_token.empty()) {
    out += R"(,"continue":)";
    JsonDocument token;
    token.SetString(next_token.c_str(), static_cast<rapidjson::SizeType>(next_token.size()),
                    token.GetAllocator());
    out += Serialize(token);
    out += R"(,"remainingItemCount":)";
    out += std::to_string(remaining);
  }
  out += R"(},"items":[)";
  // The items were built first (their count decides the metadata); put the header in front
  // within the reserved capacity instead of copying the items again.
  items.insert(0, out);
  items += "]}";
  return items;
}

FakeResult<std::string> ObjectStore::ScaleJsonLocked(const ResourceType& type,
                                                     const StoredObject& object) {
  const JsonValue& doc = *object.doc;
  int64_t replicas = 0;
  int64_t status_replicas = 0;
  std::string selector;
  const JsonValue* spec = FindMember(doc, "spec");
  const JsonValue* status = FindMember(doc, "status");
  if (type.scale == ScaleMode::kCustom) {
    if (const JsonValue* v = AtPath(doc, type.spec_replicas_path); v && v->IsInt64()) {
      replicas = v->GetInt64();
    }
    if (const JsonValue* v = AtPath(doc, type.status_replicas_path); v && v->IsInt64()) {
      status_replicas = v->GetInt64();
    }
    if (!type.label_selector_path.empty()) {
      if (const JsonValue* v = AtPath(doc, type.label_selector_path); v && v->IsString()) {
        selector = v->GetString();
      }
    }
  } else {
    if (spec != nullptr) {
      if (const JsonValue* v = FindMember(*spec, "replicas"); v && v->IsInt64()) {
        replicas = v->GetInt64();
      }
    }
    if (status != nullptr) {
      if (const JsonValue* v = FindMember(*status, "replicas"); v && v->IsInt64()) {
        status_replicas = v->GetInt64();
      }
    }
    const JsonValue* sel = spec != nullptr ? FindMember(*spec, "selector") : nullptr;
    if (type.scale == ScaleMode::kSelectorStruct && sel != nullptr) {
      if (auto parsed = LabelSelector::FromJson(*sel)) selector = parsed->ToString();
    } else if (type.scale == ScaleMode::kSelectorMap) {
      const JsonValue* labels = sel;
      if (labels == nullptr || !labels->IsObject() || labels->ObjectEmpty()) {
        const JsonValue* tmpl = spec != nullptr ? FindMember(*spec, "template") : nullptr;
        const JsonValue* tm = tmpl != nullptr ? FindMember(*tmpl, "metadata") : nullptr;
        labels = tm != nullptr ? FindMember(*tm, "labels") : nullptr;
      }
      selector = LabelSelector::FromLabels(LabelsOf(labels)).ToString();
    }
  }
  JsonDocument scale(rapidjson::kObjectType);
  auto& a = scale.GetAllocator();
  scale.AddMember("kind", "Scale", a);
  scale.AddMember("apiVersion", "autoscaling/v1", a);
  JsonValue meta(rapidjson::kObjectType);
  for (const char* key : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
    std::string v = MetadataString(doc, key);
    if (!v.empty()) meta.AddMember(JsonValue(key, a), JsonString(v, a), a);
  }
  scale.AddMember("metadata", meta, a);
  JsonValue scale_spec(rapidjson::kObjectType);
  if (replicas != 0) scale_spec.AddMember("replicas", replicas, a);  // omitempty
  scale.AddMember("spec", scale_spec, a);
  JsonValue scale_status(rapidjson::kObjectType);
  scale_status.AddMember("replicas", status_replicas, a);
  if (!selector.empty()) scale_status.AddMember("selector", JsonString(selector, a), a);
  scale.AddMember("status", scale_status, a);
  return Serialize(scale);
}

FakeResult<std::string> ObjectStore::GetScale(const ResourceType& type, const std::string& ns,
                                              const std::string& name) {
  std::lock_guard lock(mu_);
  const StoredObject* found = FindLocked(type, ns, name);
  if (found == nullptr) return std::unexpected(NotFound(type, name));
  return ScaleJsonLocked(type, *found);
}

FakeResult<std::string> ObjectStore::WriteScale(const ResourceType& type, const std::string& ns,
                                                const std::string& name,
                                                const std::string& content_type,
                                                const std::string& body, bool is_patch) {
  std::lock_guard lock(mu_);
  const StoredObject* found = FindLocked(type, ns, name);
  if (found == nullptr) return std::unexpected(NotFound(type, name));
  const StoredObject old = *found;
  auto current = ScaleJsonLocked(type, old);
  if (!current) return std::unexpected(current.error());
  auto scale = ParseJson(*current);
  auto input = ParseJson(body);
  if (!scale || !input) return std::unexpected(BadRequest("error decoding the request body"));
  if (is_patch) {
    std::string ct = content_type.substr(0, content_type.find(';'));
    if (ct == "application/json-patch+json") {
      if (auto applied = ApplyJsonPatch(*scale, *input, scale->GetAllocator()); !applied) {
        return std::unexpected(Failure(422, "Invalid",
                                       "the server rejected our request due to an error in our "
                                       "request: " +
                                           applied.error().message,
                                       &type, name));
      }
    } else if (ct == "application/merge-patch+json" ||
               ct == "application/strategic-merge-patch+json") {
      if (!input->IsObject()) return std::unexpected(BadRequest("a merge patch must be an object"));
      ApplyMergePatch(*scale, *input, scale->GetAllocator());
    } else {
      return std::unexpected(Failure(415, "UnsupportedMediaType",
                                     "the body of the request was in an unknown format", nullptr,
                                     ""));
    }
  } else {
    scale->Swap(*input);
  }
  if (std::string rv = MetadataString(*scale, "resourceVersion");
      !rv.empty() && rv != std::to_string(old.rv)) {
    return std::unexpected(ConflictFailure(type, name));
  }
  int64_t replicas = 0;
  const JsonValue* spec = FindMember(*scale, "spec");
  const JsonValue* r = spec != nullptr ? FindMember(*spec, "replicas") : nullptr;
  if (r != nullptr && !r->IsNull()) {
    if (!r->IsInt() || r->GetInt() < 0) {
      ApiFailure f = Invalid(
          type, name,
          {{"FieldValueInvalid",
            fmt::format("Invalid value: {}: must be greater than or equal to 0", Serialize(*r)),
            "spec.replicas"}});
      f.message = fmt::format(
          "Scale.autoscaling \"{}\" is invalid: spec.replicas: Invalid value: "
          "{}: must be greater than or equal to 0",
          name, Serialize(*r));
      f.kind = "Scale";
      f.group = "autoscaling";
      return std::unexpected(f);
    }
    replicas = r->GetInt();
  }
  JsonDocument doc;
  doc.CopyFrom(*old.doc, doc.GetAllocator());
  SetAtPath(doc, type.scale == ScaleMode::kCustom ? type.spec_replicas_path : ".spec.replicas",
            JsonValue(replicas), doc.GetAllocator());
  auto updated = UpdateLocked(type, ns, name, std::move(doc), false, true);
  if (!updated) return std::unexpected(updated.error());
  return ScaleJsonLocked(type, *updated);
}

std::vector<WatchRecord> ObjectStore::Snapshot(const ResourceType& type, const std::string& ns,
                                               int64_t* current_rv) {
  std::lock_guard lock(mu_);
  std::vector<WatchRecord> out;
  *current_rv = rv_;
  auto store = objects_.find(type.StorageKey());
  if (store == objects_.end()) return out;
  for (const auto& [key, obj] : store->second) {
    std::string obj_ns = MetadataString(*obj.doc, "namespace");
    if (type.namespaced && !ns.empty() && obj_ns != ns) continue;
    WatchRecord r;
    r.rv = obj.rv;
    r.storage_key = type.StorageKey();
    r.ns = obj_ns;
    r.type = "ADDED";
    r.json = obj.json;
    const JsonValue* meta = FindMember(*obj.doc, "metadata");
    r.labels = LabelsOf(meta != nullptr ? FindMember(*meta, "labels") : nullptr);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<WatchRecord> ObjectStore::EventsAfter(const ResourceType& type, const std::string& ns,
                                                  int64_t after_rv, std::chrono::milliseconds wait,
                                                  bool* too_old, int64_t* oldest) {
  std::unique_lock lock(mu_);
  *too_old = false;
  *oldest = compacted_rv_;
  if (after_rv < compacted_rv_) {
    *too_old = true;
    return {};
  }
  auto collect = [&] {
    std::vector<WatchRecord> out;
    auto it = std::upper_bound(history_.begin(), history_.end(), after_rv,
                               [](int64_t rv, const WatchRecord& r) { return rv < r.rv; });
    const std::string key = type.StorageKey();
    for (; it != history_.end(); ++it) {
      if (it->storage_key != key) continue;
      if (type.namespaced && !ns.empty() && it->ns != ns) continue;
      out.push_back(*it);
    }
    return out;
  };
  auto out = collect();
  if (!out.empty() || wait.count() <= 0) return out;
  int64_t seen = rv_;
  cv_.wait_for(lock, wait, [&] { return rv_ != seen || after_rv < compacted_rv_; });
  if (after_rv < compacted_rv_) {
    *too_old = true;
    *oldest = compacted_rv_;
    return {};
  }
  return collect();
}

void ObjectStore::Compact() {
  std::lock_guard lock(mu_);
  history_.clear();
  compacted_rv_ = rv_;
  cv_.notify_all();
}

int64_t ObjectStore::CurrentResourceVersion() {
  std::lock_guard lock(mu_);
  return rv_;
}

void ObjectStore::WakeAll() {
  std::lock_guard lock(mu_);
  cv_.notify_all();
}

FakeResult<StoredObject> ObjectStore::GetByKind(const std::string& api_version,
                                                const std::string& kind, const std::string& ns,
                                                const std::string& name) {
  std::lock_guard lock(mu_);
  const ResourceType* type = registry_.FindKind(api_version, kind);
  if (type == nullptr) {
    return std::unexpected(Failure(
        404, "NotFound", fmt::format("no kind {} in {}", kind, api_version), nullptr, name));
  }
  const StoredObject* found = FindLocked(*type, ns, name);
  if (found == nullptr) return std::unexpected(NotFound(*type, name));
  return *found;
}

std::vector<std::shared_ptr<const JsonDocument>> ObjectStore::ListByKind(
    const std::string& api_version, const std::string& kind, const std::string& ns) {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<const JsonDocument>> out;
  const ResourceType* type = registry_.FindKind(api_version, kind);
  if (type == nullptr) return out;
  auto store = objects_.find(type->StorageKey());
  if (store == objects_.end()) return out;
  for (const auto& [key, obj] : store->second) {
    if (!ns.empty() && type->namespaced && MetadataString(*obj.doc, "namespace") != ns) continue;
    out.push_back(obj.doc);
  }
  return out;
}

FakeResult<StoredObject> ObjectStore::Mutate(
    const std::string& api_version, const std::string& kind, const std::string& ns,
    const std::string& name, const std::function<void(JsonValue&, JsonAllocator&)>& mutate) {
  std::lock_guard lock(mu_);
  const ResourceType* type = registry_.FindKind(api_version, kind);
  if (type == nullptr) {
    return std::unexpected(Failure(
        404, "NotFound", fmt::format("no kind {} in {}", kind, api_version), nullptr, name));
  }
  const StoredObject* found = FindLocked(*type, ns, name);
  if (found == nullptr) return std::unexpected(NotFound(*type, name));
  JsonDocument doc;
  doc.CopyFrom(*found->doc, doc.GetAllocator());
  mutate(doc, doc.GetAllocator());
  return UpdateLocked(*type, ns, name, std::move(doc), false, true);
}

}  // namespace cpa::kube::fake
