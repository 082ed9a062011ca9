#include "autoscalers/phpa/simulated_cluster.h"

#include <cmath>

#include <fmt/format.h>

namespace cpa::phpa {
namespace {

std::string Milli(double value) {
  const double milli = std::round(value * 1000.0);
  if (!(std::fabs(milli) < 9e15)) return "0";
  return fmt::format("{}m", static_cast<int64_t>(milli));
}

JsonValue Str(std::string_view s, JsonAllocator& a) { return JsonString(s, a); }

}  // namespace

SimulatedApi::SimulatedApi(SimulatedClusterOptions options, Clock& clock)
    : options_(std::move(options)), startup_(options_.pod_startup), clock_(clock) {
  const TimePoint long_ago = clock_.Now() - std::chrono::hours(24);
  spec_replicas_ = std::max(0, options_.initial_replicas);
  for (int i = 0; i < spec_replicas_; ++i) {
    pods_.push_back({fmt::format("{}-{}", options_.target.name, next_pod_++), long_ago});
  }
}

void SimulatedApi::SetDemand(double demand) {
  std::lock_guard lock(mu_);
  demand_ = std::isfinite(demand) && demand > 0.0 ? demand : 0.0;
}

int SimulatedApi::spec_replicas() const {
  std::lock_guard lock(mu_);
  return spec_replicas_;
}

int SimulatedApi::RunningLocked(TimePoint now) const {
  int n = 0;
  for (const Pod& p : pods_) n += Running(p, now) ? 1 : 0;
  return n;
}

int SimulatedApi::ready_replicas() const {
  std::lock_guard lock(mu_);
  return RunningLocked(clock_.Now());
}

std::string SimulatedApi::Selector() const { return "app=" + options_.target.name; }

Status SimulatedApi::Check(const kube::ObjectRef& target, std::string_view ns) const {
  if (target.name != options_.target.name || target.kind != options_.target.kind ||
      ns != options_.name_space) {
    return MakeErrorF(ErrorCode::kNotFound, "{} {}/{} not found (the replay simulates {} {}/{})",
                      target.kind, ns, target.name, options_.target.kind, options_.name_space,
                      options_.target.name);
  }
  return OkStatus();
}

Result<kube::Scale> SimulatedApi::GetScale(const kube::ObjectRef& target, std::string_view ns) {
  CPA_RETURN_IF_ERROR(Check(target, ns));
  std::lock_guard lock(mu_);
  kube::Scale scale;
  scale.replicas = spec_replicas_;
  scale.status_replicas = static_cast<int32_t>(pods_.size());
  scale.selector = Selector();
  scale.resource_version = std::to_string(resource_version_);
  return scale;
}

Result<kube::Scale> SimulatedApi::PatchScaleReplicas(const kube::ObjectRef& target,
                                                     std::string_view ns, int32_t replicas) {
  CPA_RETURN_IF_ERROR(Check(target, ns));
  {
    std::lock_guard lock(mu_);
    const TimePoint now = clock_.Now();
    spec_replicas_ = std::max(0, replicas);
    while (static_cast<int>(pods_.size()) < spec_replicas_) {
      pods_.push_back({fmt::format("{}-{}", options_.target.name, next_pod_++), now});
    }
    while (static_cast<int>(pods_.size()) > spec_replicas_) pods_.pop_back();
    ++resource_version_;
  }
  return GetScale(target, ns);
}

Result<JsonDocument> SimulatedApi::GetObject(const kube::ObjectRef& ref, std::string_view ns) {
  CPA_RETURN_IF_ERROR(Check(ref, ns));
  std::lock_guard lock(mu_);
  JsonDocument doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("apiVersion", Str(options_.target.api_version, a), a);
  doc.AddMember("kind", Str(options_.target.kind, a), a);
  JsonValue metadata(rapidjson::kObjectType);
  metadata.AddMember("name", Str(options_.target.name, a), a);
  metadata.AddMember("namespace", Str(options_.name_space, a), a);
  doc.AddMember("metadata", metadata, a);
  JsonValue spec(rapidjson::kObjectType);
  spec.AddMember("replicas", spec_replicas_, a);
  JsonValue selector(rapidjson::kObjectType);
  JsonValue labels(rapidjson::kObjectType);
  labels.AddMember("app", Str(options_.target.name, a), a);
  selector.AddMember("matchLabels", labels, a);
  spec.AddMember("selector", selector, a);
  doc.AddMember("spec", spec, a);
  return doc;
}

Result<JsonDocument> SimulatedApi::ListPods(std::string_view ns, std::string_view selector) {
  std::lock_guard lock(mu_);
  JsonDocument doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("apiVersion", "v1", a);
  doc.AddMember("kind", "PodList", a);
  JsonValue items(rapidjson::kArrayType);
  if (ns == options_.name_space && selector == Selector()) {
    const TimePoint now = clock_.Now();
    for (const Pod& p : pods_) {
      const bool running = Running(p, now);
      JsonValue pod(rapidjson::kObjectType);
      pod.AddMember("apiVersion", "v1", a);
      pod.AddMember("kind", "Pod", a);
      JsonValue metadata(rapidjson::kObjectType);
      metadata.AddMember("name", Str(p.name, a), a);
      metadata.AddMember("namespace", Str(options_.name_space, a), a);
      metadata.AddMember("creationTimestamp", Str(FormatRfc3339(p.created), a), a);
      JsonValue labels(rapidjson::kObjectType);
      labels.AddMember("app", Str(options_.target.name, a), a);
      metadata.AddMember("labels", labels, a);
      pod.AddMember("metadata", metadata, a);
      JsonValue container(rapidjson::kObjectType);
      container.AddMember("name", "app", a);
      JsonValue requests(rapidjson::kObjectType);
      requests.AddMember("cpu", Str(fmt::format("{}m", options_.cpu_request_milli), a), a);
      requests.AddMember("memory", Str(std::to_string(options_.memory_request_bytes), a), a);
      JsonValue resources(rapidjson::kObjectType);
      resources.AddMember("requests", requests, a);
      container.AddMember("resources", resources, a);
      JsonValue containers(rapidjson::kArrayType);
      containers.PushBack(container, a);
      JsonValue spec(rapidjson::kObjectType);
      spec.AddMember("containers", containers, a);
      pod.AddMember("spec", spec, a);
      JsonValue status(rapidjson::kObjectType);
      status.AddMember("phase", Str(running ? "Running" : "Pending", a), a);
      status.AddMember("startTime", Str(FormatRfc3339(p.created), a), a);
      JsonValue conditions(rapidjson::kArrayType);
      JsonValue ready(rapidjson::kObjectType);
      ready.AddMember("type", "Ready", a);
      ready.AddMember("status", Str(running ? "True" : "False", a), a);
      ready.AddMember("lastTransitionTime",
                      Str(FormatRfc3339(running ? p.created + startup_ : p.created), a), a);
      conditions.PushBack(ready, a);
      status.AddMember("conditions", conditions, a);
      pod.AddMember("status", status, a);
      items.PushBack(pod, a);
    }
  }
  doc.AddMember("items", items, a);
  return doc;
}

Result<JsonDocument> SimulatedApi::GetPodMetrics(std::string_view ns, std::string_view selector) {
  std::lock_guard lock(mu_);
  JsonDocument doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("apiVersion", "metrics.k8s.io/v1beta1", a);
  doc.AddMember("kind", "PodMetricsList", a);
  JsonValue items(rapidjson::kArrayType);
  const TimePoint now = clock_.Now();
  const int running = RunningLocked(now);
  if (ns == options_.name_space && selector == Selector() && running > 0) {
    const double per_pod = demand_ / running;
    for (const Pod& p : pods_) {
      if (!Running(p, now)) continue;
      JsonValue item(rapidjson::kObjectType);
      JsonValue metadata(rapidjson::kObjectType);
      metadata.AddMember("name", Str(p.name, a), a);
      metadata.AddMember("namespace", Str(options_.name_space, a), a);
      item.AddMember("metadata", metadata, a);
      item.AddMember("timestamp", Str(FormatRfc3339(now), a), a);
      item.AddMember("window", "30s", a);
      JsonValue usage(rapidjson::kObjectType);
      usage.AddMember("cpu", Str(Milli(per_pod), a), a);
      usage.AddMember("memory", Str(Milli(per_pod), a), a);
      JsonValue container(rapidjson::kObjectType);
      container.AddMember("name", "app", a);
      container.AddMember("usage", usage, a);
      JsonValue containers(rapidjson::kArrayType);
      containers.PushBack(container, a);
      item.AddMember("containers", containers, a);
      items.PushBack(item, a);
    }
  }
  doc.AddMember("items", items, a);
  return doc;
}

Result<JsonDocument> SimulatedApi::GetObjectMetric(std::string_view /*ns*/,
                                                   const kube::ObjectRef& described,
                                                   std::string_view metric,
                                                   std::string_view /*metric_selector*/) {
  std::lock_guard lock(mu_);
  JsonDocument doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("kind", "MetricValueList", a);
  doc.AddMember("apiVersion", "custom.metrics.k8s.io/v1beta2", a);
  JsonValue items(rapidjson::kArrayType);
  JsonValue item(rapidjson::kObjectType);
  JsonValue obj(rapidjson::kObjectType);
  obj.AddMember("kind", Str(described.kind, a), a);
  obj.AddMember("name", Str(described.name, a), a);
  obj.AddMember("apiVersion", Str(described.api_version, a), a);
  item.AddMember("describedObject", obj, a);
  JsonValue m(rapidjson::kObjectType);
  m.AddMember("name", Str(metric, a), a);
  item.AddMember("metric", m, a);
  item.AddMember("timestamp", Str(FormatRfc3339(clock_.Now()), a), a);
  item.AddMember("windowSeconds", 60, a);
  item.AddMember("value", Str(Milli(demand_), a), a);
  items.PushBack(item, a);
  doc.AddMember("items", items, a);
  return doc;
}

Result<JsonDocument> SimulatedApi::GetPodsMetric(std::string_view ns, std::string_view metric,
                                                 std::string_view selector,
                                                 std::string_view /*metric_selector*/) {
  std::lock_guard lock(mu_);
  JsonDocument doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("kind", "MetricValueList", a);
  doc.AddMember("apiVersion", "custom.metrics.k8s.io/v1beta2", a);
  JsonValue items(rapidjson::kArrayType);
  const TimePoint now = clock_.Now();
  const int running = RunningLocked(now);
  if (ns == options_.name_space && selector == Selector() && running > 0) {
    for (const Pod& p : pods_) {
      if (!Running(p, now)) continue;
      JsonValue item(rapidjson::kObjectType);
      JsonValue obj(rapidjson::kObjectType);
      obj.AddMember("kind", "Pod", a);
      obj.AddMember("name", Str(p.name, a), a);
      obj.AddMember("namespace", Str(options_.name_space, a), a);
      obj.AddMember("apiVersion", "v1", a);
      item.AddMember("describedObject", obj, a);
      JsonValue m(rapidjson::kObjectType);
      m.AddMember("name", Str(metric, a), a);
      item.AddMember("metric", m, a);
      item.AddMember("timestamp", Str(FormatRfc3339(now), a), a);
      item.AddMember("windowSeconds", 60, a);
      item.AddMember("value", Str(Milli(demand_ / running), a), a);
      items.PushBack(item, a);
    }
  }
  doc.AddMember("items", items, a);
  return doc;
}

Result<JsonDocument> SimulatedApi::GetExternalMetric(std::string_view /*ns*/,
                                                     std::string_view metric,
                                                     std::string_view /*metric_selector*/) {
  std::lock_guard lock(mu_);
  JsonDocument doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("kind", "ExternalMetricValueList", a);
  doc.AddMember("apiVersion", "external.metrics.k8s.io/v1beta1", a);
  JsonValue items(rapidjson::kArrayType);
  JsonValue item(rapidjson::kObjectType);
  item.AddMember("metricName", Str(metric, a), a);
  item.AddMember("metricLabels", JsonValue(rapidjson::kObjectType), a);
  item.AddMember("timestamp", Str(FormatRfc3339(clock_.Now()), a), a);
  item.AddMember("windowSeconds", 60, a);
  item.AddMember("value", Str(Milli(demand_), a), a);
  items.PushBack(item, a);
  doc.AddMember("items", items, a);
  return doc;
}

}  // namespace cpa::phpa
