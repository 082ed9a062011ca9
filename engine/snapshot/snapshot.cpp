#include "engine/snapshot/snapshot.h"

#include <limits>
#include <set>

#include "common/quantity.h"
#include "common/rfc3339.h"
#include "engine/config/json_reader.h"
#include "engine/kubernetes_metrics/metrics_api.h"

namespace cpa::engine {
namespace {

using Path = std::string;

Error Bad(const Path& path, std::string_view why) {
  return Error{ErrorCode::kInvalidArgument, fmt::format("snapshot: {}: {}", path, why)};
}

std::string Sub(const Path& path, std::string_view key) { return fmt::format("{}.{}", path, key); }
std::string Index(const Path& path, size_t i) { return fmt::format("{}[{}]", path, i); }

std::optional<std::string_view> Str(const JsonValue& o, std::string_view key) {
  const JsonValue* v = FindMember(o, key);
  if (v == nullptr || !v->IsString()) return std::nullopt;
  return std::string_view(v->GetString(), v->GetStringLength());
}

Status CheckTime(const JsonValue& o, std::string_view key, const Path& path, bool required) {
  const JsonValue* v = FindMember(o, key);
  if (v == nullptr || v->IsNull()) {
    if (required) return std::unexpected(Bad(Sub(path, key), "is required (an RFC 3339 time)"));
    return OkStatus();
  }
  if (!v->IsString() || !ParseRfc3339(v->GetString())) {
    return std::unexpected(Bad(Sub(path, key), fmt::format("must be an RFC 3339 time such as "
                                                           "\"2026-11-30T14:00:00Z\", got {}",
                                                           config::Describe(*v))));
  }
  return OkStatus();
}

Status CheckQuantity(const JsonValue& v, const Path& path) {
  std::string text;
  if (v.IsString()) {
    text.assign(v.GetString(), v.GetStringLength());
  } else if (v.IsNumber()) {
    text = ToJson(v);
  } else {
    return std::unexpected(
        Bad(path, fmt::format("must be a quantity such as \"200m\", got {}", config::Describe(v))));
  }
  auto q = Quantity::Parse(text);
  if (!q) return std::unexpected(Bad(path, q.error().message));
  return OkStatus();
}

Status CheckQuantityMap(const JsonValue& o, std::string_view key, const Path& path) {
  const JsonValue* v = FindMember(o, key);
  if (v == nullptr) return OkStatus();
  if (!v->IsObject()) return std::unexpected(Bad(Sub(path, key), "must be an object"));
  for (const auto& m : v->GetObject()) {
    CPA_RETURN_IF_ERROR(
        CheckQuantity(m.value, Sub(Sub(path, key), std::string_view(m.name.GetString()))));
  }
  return OkStatus();
}

// A list as kubectl prints it: {"kind": "List" | typed, "items": [...]}.
Result<const JsonValue*> Items(const JsonValue& list, const Path& path,
                               std::string_view typed_kind) {
  if (!list.IsObject()) {
    return std::unexpected(Bad(path, fmt::format("must be a {} object with items, got {}",
                                                 typed_kind, config::Describe(list))));
  }
  if (auto kind = Str(list, "kind"); kind && *kind != "List" && *kind != typed_kind) {
    return std::unexpected(
        Bad(Sub(path, "kind"), fmt::format("must be List or {}, got \"{}\"", typed_kind, *kind)));
  }
  const JsonValue* items = FindMember(list, "items");
  if (items == nullptr || items->IsNull()) {
    static const JsonValue kEmpty(rapidjson::kArrayType);
    return &kEmpty;
  }
  if (!items->IsArray()) return std::unexpected(Bad(Sub(path, "items"), "must be a list"));
  return items;
}

Status CheckName(const JsonValue& item, const Path& path) {
  const JsonValue* metadata = FindMember(item, "metadata");
  if (metadata == nullptr || !Str(*metadata, "name") || Str(*metadata, "name")->empty()) {
    return std::unexpected(Bad(Sub(Sub(path, "metadata"), "name"), "is required"));
  }
  return OkStatus();
}

Status CheckContainers(const JsonValue& spec, std::string_view key, const Path& path) {
  const JsonValue* containers = FindMember(spec, key);
  if (containers == nullptr) return OkStatus();
  if (!containers->IsArray()) return std::unexpected(Bad(Sub(path, key), "must be a list"));
  for (rapidjson::SizeType i = 0; i < containers->Size(); ++i) {
    const JsonValue& c = (*containers)[i];
    const Path cp = Index(Sub(path, key), i);
    if (!c.IsObject()) return std::unexpected(Bad(cp, "must be an object"));
    if (const JsonValue* r = FindMember(c, "resources"); r != nullptr && r->IsObject()) {
      CPA_RETURN_IF_ERROR(CheckQuantityMap(*r, "requests", Sub(cp, "resources")));
    }
  }
  return OkStatus();
}

Status CheckPods(const JsonValue& list) {
  auto items = Items(list, "pods", "PodList");
  if (!items) return std::unexpected(items.error());
  for (rapidjson::SizeType i = 0; i < (*items)->Size(); ++i) {
    const JsonValue& pod = (**items)[i];
    const Path path = Index("pods.items", i);
    if (!pod.IsObject()) return std::unexpected(Bad(path, "must be a Pod object"));
    CPA_RETURN_IF_ERROR(CheckName(pod, path));
    if (const JsonValue* spec = FindMember(pod, "spec"); spec != nullptr && spec->IsObject()) {
      CPA_RETURN_IF_ERROR(CheckContainers(*spec, "containers", Sub(path, "spec")));
      CPA_RETURN_IF_ERROR(CheckContainers(*spec, "initContainers", Sub(path, "spec")));
    }
    if (const JsonValue* status = FindMember(pod, "status"); status != nullptr) {
      const Path sp = Sub(path, "status");
      if (!status->IsObject()) return std::unexpected(Bad(sp, "must be an object"));
      CPA_RETURN_IF_ERROR(CheckTime(*status, "startTime", sp, false));
      if (const JsonValue* conds = FindMember(*status, "conditions"); conds && conds->IsArray()) {
        for (rapidjson::SizeType c = 0; c < conds->Size(); ++c) {
          if (!(*conds)[c].IsObject()) continue;
          CPA_RETURN_IF_ERROR(
              CheckTime((*conds)[c], "lastTransitionTime", Index(Sub(sp, "conditions"), c), false));
        }
      }
    }
  }
  return OkStatus();
}

Status CheckPodMetrics(const JsonValue& list) {
  auto items = Items(list, "podMetrics", "PodMetricsList");
  if (!items) return std::unexpected(items.error());
  for (rapidjson::SizeType i = 0; i < (*items)->Size(); ++i) {
    const JsonValue& m = (**items)[i];
    const Path path = Index("podMetrics.items", i);
    if (!m.IsObject()) return std::unexpected(Bad(path, "must be a PodMetrics object"));
    CPA_RETURN_IF_ERROR(CheckName(m, path));
    CPA_RETURN_IF_ERROR(CheckTime(m, "timestamp", path, true));
    if (auto w = Str(m, "window"); w && !kubernetes_metrics::ParseGoDuration(*w)) {
      return std::unexpected(Bad(
          Sub(path, "window"), fmt::format("must be a duration such as \"30s\", got \"{}\"", *w)));
    }
    const JsonValue* containers = FindMember(m, "containers");
    if (containers == nullptr || !containers->IsArray()) {
      return std::unexpected(Bad(Sub(path, "containers"), "must be a list"));
    }
    for (rapidjson::SizeType c = 0; c < containers->Size(); ++c) {
      const Path cp = Index(Sub(path, "containers"), c);
      if (!(*containers)[c].IsObject()) return std::unexpected(Bad(cp, "must be an object"));
      CPA_RETURN_IF_ERROR(CheckQuantityMap((*containers)[c], "usage", cp));
    }
  }
  return OkStatus();
}

Status CheckMetricValues(const JsonValue& list, const Path& name, std::string_view kind,
                         bool described) {
  auto items = Items(list, name, kind);
  if (!items) return std::unexpected(items.error());
  for (rapidjson::SizeType i = 0; i < (*items)->Size(); ++i) {
    const JsonValue& m = (**items)[i];
    const Path path = Index(Sub(name, "items"), i);
    if (!m.IsObject()) return std::unexpected(Bad(path, "must be an object"));
    if (!Str(m, "metricName")) return std::unexpected(Bad(Sub(path, "metricName"), "is required"));
    if (described) {
      const JsonValue* d = FindMember(m, "describedObject");
      if (d == nullptr || !d->IsObject() || !Str(*d, "kind") || !Str(*d, "name")) {
        return std::unexpected(
            Bad(Sub(path, "describedObject"), "is required ({\"kind\", \"name\"})"));
      }
    }
    CPA_RETURN_IF_ERROR(CheckTime(m, "timestamp", path, true));
    const JsonValue* value = FindMember(m, "value");
    if (value == nullptr) return std::unexpected(Bad(Sub(path, "value"), "is required"));
    CPA_RETURN_IF_ERROR(CheckQuantity(*value, Sub(path, "value")));
  }
  return OkStatus();
}

Result<std::vector<TimedReplicas>> ReadTimed(const JsonValue& history, std::string_view key,
                                             std::string_view field) {
  std::vector<TimedReplicas> out;
  const JsonValue* list = FindMember(history, key);
  if (list == nullptr) return out;
  const Path path = Sub("history", key);
  if (!list->IsArray()) return std::unexpected(Bad(path, "must be a list"));
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    const JsonValue& item = (*list)[i];
    const Path ip = Index(path, i);
    if (!item.IsObject()) return std::unexpected(Bad(ip, "must be an object"));
    CPA_RETURN_IF_ERROR(CheckTime(item, "time", ip, true));
    const JsonValue* n = FindMember(item, field);
    auto value = n != nullptr ? config::AsInteger(*n) : std::nullopt;
    if (!value || *value < std::numeric_limits<int32_t>::min() ||
        *value > std::numeric_limits<int32_t>::max()) {
      return std::unexpected(Bad(Sub(ip, field), "must be an integer"));
    }
    out.push_back({*ParseRfc3339(Str(item, "time").value()), static_cast<int>(*value)});
  }
  return out;
}

JsonDocument Copy(const JsonValue& v) {
  JsonDocument doc;
  doc.CopyFrom(v, doc.GetAllocator());
  return doc;
}

JsonDocument ListOf(std::string_view kind, const std::vector<const JsonValue*>& items) {
  JsonDocument doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("kind", JsonString(kind, a), a);
  JsonValue list(rapidjson::kArrayType);
  for (const JsonValue* item : items) list.PushBack(JsonValue(*item, a), a);
  doc.AddMember("items", list, a);
  return doc;
}

std::vector<const JsonValue*> ItemsOf(const std::optional<JsonDocument>& list) {
  std::vector<const JsonValue*> out;
  if (!list) return out;
  const JsonValue* items = FindMember(*list, "items");
  if (items == nullptr || !items->IsArray()) return out;
  for (const auto& item : items->GetArray()) out.push_back(&item);
  return out;
}

}  // namespace

Result<Snapshot> ParseSnapshot(std::string_view json) {
  auto doc = ParseJson(json);
  if (!doc)
    return std::unexpected(
        Error{ErrorCode::kInvalidArgument, "snapshot: not valid JSON: " + doc.error().message});
  if (!doc->IsObject()) {
    return std::unexpected(
        Bad("(root)", fmt::format("must be a JSON object, got {}", JsonTypeName(*doc))));
  }
  Snapshot s;
  const JsonValue& root = *doc;
  auto now_text = Str(root, "now");
  auto now = now_text ? ParseRfc3339(*now_text) : Result<TimePoint>(TimePoint{});
  if (!now_text || !now) {
    return std::unexpected(Bad("now",
                               "is required: the RFC 3339 instant of the evaluation, such as "
                               "\"2026-11-30T14:00:00Z\""));
  }
  s.now = *now;
  const JsonValue* scale = FindMember(root, "scale");
  if (scale == nullptr || !scale->IsObject()) {
    return std::unexpected(Bad("scale", "is required (an autoscaling/v1 Scale object)"));
  }
  s.scale = Copy(*scale);
  if (!FindMember(s.scale, "kind")) {
    s.scale.AddMember("kind", "Scale", s.scale.GetAllocator());
  }
  {
    const JsonValue* spec = FindMember(*scale, "spec");
    const JsonValue* replicas = spec != nullptr ? FindMember(*spec, "replicas") : nullptr;
    auto n = replicas != nullptr ? config::AsInteger(*replicas) : std::nullopt;
    if (!n || *n < 0 || *n > std::numeric_limits<int32_t>::max()) {
      return std::unexpected(Bad("scale.spec.replicas", "is required (a non-negative integer)"));
    }
    if (const JsonValue* status = FindMember(*scale, "status")) {
      if (const JsonValue* r = FindMember(*status, "replicas");
          r != nullptr && (!config::AsInteger(*r) || *config::AsInteger(*r) < 0)) {
        return std::unexpected(Bad("scale.status.replicas", "must be a non-negative integer"));
      }
      if (const JsonValue* sel = FindMember(*status, "selector"); sel && !sel->IsString()) {
        return std::unexpected(Bad("scale.status.selector", "must be a string"));
      }
    }
    if (const JsonValue* metadata = FindMember(*scale, "metadata")) {
      s.scale_name = std::string(Str(*metadata, "name").value_or(""));
    }
  }
  const JsonValue* pods = FindMember(root, "pods");
  if (pods == nullptr) return std::unexpected(Bad("pods", "is required (a v1 PodList)"));
  CPA_RETURN_IF_ERROR(CheckPods(*pods));
  s.pods = Copy(*pods);
  if (const JsonValue* v = FindMember(root, "podMetrics"); v != nullptr && !v->IsNull()) {
    CPA_RETURN_IF_ERROR(CheckPodMetrics(*v));
    s.pod_metrics = Copy(*v);
  }
  if (const JsonValue* v = FindMember(root, "customMetrics"); v != nullptr && !v->IsNull()) {
    CPA_RETURN_IF_ERROR(CheckMetricValues(*v, "customMetrics", "MetricValueList", true));
    s.custom_metrics = Copy(*v);
  }
  if (const JsonValue* v = FindMember(root, "externalMetrics"); v != nullptr && !v->IsNull()) {
    CPA_RETURN_IF_ERROR(CheckMetricValues(*v, "externalMetrics", "ExternalMetricValueList", false));
    s.external_metrics = Copy(*v);
  }
  if (const JsonValue* v = FindMember(root, "target"); v != nullptr && !v->IsNull()) {
    if (!v->IsObject()) return std::unexpected(Bad("target", "must be an object"));
    s.target = Copy(*v);
  }
  if (const JsonValue* v = FindMember(root, "history"); v != nullptr && !v->IsNull()) {
    if (!v->IsObject()) return std::unexpected(Bad("history", "must be an object"));
    auto recs = ReadTimed(*v, "recommendations", "replicas");
    if (!recs) return std::unexpected(recs.error());
    auto events = ReadTimed(*v, "scaleEvents", "replicaChange");
    if (!events) return std::unexpected(events.error());
    s.history.recommendations = std::move(*recs);
    s.history.scale_events = std::move(*events);
  }
  for (const auto& m : root.GetObject()) {
    static const std::set<std::string, std::less<>> kKnown = {
        "now",    "scale",   "pods",       "podMetrics", "customMetrics", "externalMetrics",
        "target", "history", "apiVersion", "kind",       "metadata"};
    if (!kKnown.contains(std::string_view(m.name.GetString(), m.name.GetStringLength()))) {
      return std::unexpected(Bad(m.name.GetString(), "unknown field"));
    }
  }
  return s;
}

Result<kube::Scale> SnapshotApi::GetScale(const kube::ObjectRef&, std::string_view) {
  std::lock_guard lock(mu_);
  return kube::ParseScale(snapshot_.scale);
}

Result<kube::Scale> SnapshotApi::PatchScaleReplicas(const kube::ObjectRef&, std::string_view,
                                                    int32_t replicas) {
  std::lock_guard lock(mu_);
  auto& a = snapshot_.scale.GetAllocator();
  JsonValue* spec = const_cast<JsonValue*>(FindMember(snapshot_.scale, "spec"));
  if (spec == nullptr) {
    snapshot_.scale.AddMember("spec", JsonValue(rapidjson::kObjectType), a);
    spec = const_cast<JsonValue*>(FindMember(snapshot_.scale, "spec"));
  }
  if (JsonValue* r = const_cast<JsonValue*>(FindMember(*spec, "replicas"))) {
    r->SetInt(replicas);
  } else {
    spec->AddMember("replicas", replicas, a);
  }
  return kube::ParseScale(snapshot_.scale);
}

Result<JsonDocument> SnapshotApi::GetObject(const kube::ObjectRef& ref, std::string_view ns) {
  if (snapshot_.target) return Copy(*snapshot_.target);
  JsonDocument doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("apiVersion", JsonString(ref.api_version, a), a);
  doc.AddMember("kind", JsonString(ref.kind, a), a);
  JsonValue metadata(rapidjson::kObjectType);
  metadata.AddMember("name", JsonString(ref.name, a), a);
  metadata.AddMember("namespace", JsonString(ns, a), a);
  doc.AddMember("metadata", metadata, a);
  return doc;
}

Result<JsonDocument> SnapshotApi::ListPods(std::string_view, std::string_view) {
  return Copy(snapshot_.pods);
}

Result<JsonDocument> SnapshotApi::GetPodMetrics(std::string_view, std::string_view) {
  if (!snapshot_.pod_metrics) {
    return MakeError(ErrorCode::kUnavailable,
                     "the snapshot has no podMetrics (metrics.k8s.io PodMetricsList)");
  }
  return Copy(*snapshot_.pod_metrics);
}

Result<JsonDocument> SnapshotApi::GetObjectMetric(std::string_view,
                                                  const kube::ObjectRef& described,
                                                  std::string_view metric, std::string_view) {
  std::vector<const JsonValue*> matched;
  for (const JsonValue* item : ItemsOf(snapshot_.custom_metrics)) {
    const JsonValue* d = FindMember(*item, "describedObject");
    if (Str(*item, "metricName") == metric && d != nullptr && Str(*d, "kind") == described.kind &&
        Str(*d, "name") == described.name) {
      matched.push_back(item);
    }
  }
  return ListOf("MetricValueList", matched);
}

Result<JsonDocument> SnapshotApi::GetPodsMetric(std::string_view, std::string_view metric,
                                                std::string_view, std::string_view) {
  std::vector<const JsonValue*> matched;
  for (const JsonValue* item : ItemsOf(snapshot_.custom_metrics)) {
    const JsonValue* d = FindMember(*item, "describedObject");
    if (Str(*item, "metricName") == metric && d != nullptr && Str(*d, "kind") == "Pod") {
      matched.push_back(item);
    }
  }
  return ListOf("MetricValueList", matched);
}

Result<JsonDocument> SnapshotApi::GetExternalMetric(std::string_view, std::string_view metric,
                                                    std::string_view) {
  std::vector<const JsonValue*> matched;
  for (const JsonValue* item : ItemsOf(snapshot_.external_metrics)) {
    if (Str(*item, "metricName") == metric) matched.push_back(item);
  }
  return ListOf("ExternalMetricValueList", matched);
}

}  // namespace cpa::engine
