#include "experiments/sim_api.h"

#include <cmath>

#include <fmt/format.h>

#include "kube/label_selector.h"

namespace cpa::experiments {
namespace {

JsonValue Str(std::string_view s, JsonAllocator& a) { return JsonString(s, a); }

std::string CpuQuantity(double cores) {
  return fmt::format("{}m", static_cast<int64_t>(std::llround(cores * 1000.0)));
}

}  // namespace

Status SimApi::CheckTarget(const kube::ObjectRef& target, std::string_view ns) const {
  if (ns != kNamespace || target.name != kDeployment ||
      (target.kind != "Deployment" && !target.kind.empty())) {
    return MakeErrorF(ErrorCode::kNotFound,
                      "{} {}/{} not found (the simulated cluster has Deployment {}/{})",
                      target.kind, ns, target.name, kNamespace, kDeployment);
  }
  return OkStatus();
}

bool SimApi::SelectorMatches(std::string_view selector) const {
  auto parsed = kube::LabelSelector::Parse(selector);
  return parsed && parsed->Matches(std::map<std::string, std::string>{{"app", "web"}});
}

Result<kube::Scale> SimApi::GetScale(const kube::ObjectRef& target, std::string_view ns) {
  CPA_RETURN_IF_ERROR(CheckTarget(target, ns));
  kube::Scale scale;
  scale.replicas = sim_.replicas();
  scale.status_replicas = static_cast<int32_t>(sim_.Pods().size());
  scale.selector = std::string(kSelector);
  return scale;
}

Result<kube::Scale> SimApi::PatchScaleReplicas(const kube::ObjectRef& target, std::string_view ns,
                                               int32_t replicas) {
  CPA_RETURN_IF_ERROR(CheckTarget(target, ns));
  if (replicas < 0) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "spec.replicas: {} is negative", replicas);
  }
  sim_.SetReplicas(replicas);
  return GetScale(target, ns);
}

JsonDocument SimApi::DeploymentJson() const {
  JsonDocument d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  const std::string created = FormatRfc3339(sim_.WallTime(-86400.0));
  d.AddMember("apiVersion", "apps/v1", a);
  d.AddMember("kind", "Deployment", a);
  JsonValue meta(rapidjson::kObjectType);
  meta.AddMember("name", Str(kDeployment, a), a);
  meta.AddMember("namespace", Str(kNamespace, a), a);
  meta.AddMember("uid", "5f1c3a4e-0000-4000-8000-00000000c0de", a);
  meta.AddMember("creationTimestamp", Str(created, a), a);
  JsonValue labels(rapidjson::kObjectType);
  labels.AddMember("app", "web", a);
  meta.AddMember("labels", labels, a);
  d.AddMember("metadata", meta, a);
  JsonValue spec(rapidjson::kObjectType);
  spec.AddMember("replicas", sim_.replicas(), a);
  JsonValue selector(rapidjson::kObjectType);
  JsonValue match(rapidjson::kObjectType);
  match.AddMember("app", "web", a);
  selector.AddMember("matchLabels", match, a);
  spec.AddMember("selector", selector, a);
  // The pod template (what the simulated pods are made from).
  JsonDocument pod = PodJson(PodView{"template", 0, 0, false});
  JsonValue template_meta(rapidjson::kObjectType);
  JsonValue template_labels(rapidjson::kObjectType);
  template_labels.AddMember("app", "web", a);
  template_meta.AddMember("labels", template_labels, a);
  JsonValue pod_template(rapidjson::kObjectType);
  pod_template.AddMember("metadata", template_meta, a);
  pod_template.AddMember("spec", JsonValue(pod["spec"], a), a);
  spec.AddMember("template", pod_template, a);
  d.AddMember("spec", spec, a);
  JsonValue status(rapidjson::kObjectType);
  const auto pods = sim_.Pods();
  status.AddMember("replicas", static_cast<int>(pods.size()), a);
  status.AddMember("readyReplicas", sim_.ReadyPods(), a);
  d.AddMember("status", status, a);
  return d;
}

JsonDocument SimApi::PodJson(const PodView& pod) const {
  const auto& c = sim_.options().cluster;
  JsonDocument d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("apiVersion", "v1", a);
  d.AddMember("kind", "Pod", a);
  JsonValue meta(rapidjson::kObjectType);
  meta.AddMember("name", Str(pod.name, a), a);
  meta.AddMember("namespace", Str(kNamespace, a), a);
  meta.AddMember("creationTimestamp", Str(FormatRfc3339(sim_.WallTime(pod.created_s)), a), a);
  JsonValue labels(rapidjson::kObjectType);
  labels.AddMember("app", "web", a);
  meta.AddMember("labels", labels, a);
  d.AddMember("metadata", meta, a);
  JsonValue spec(rapidjson::kObjectType);
  JsonValue containers(rapidjson::kArrayType);
  JsonValue container(rapidjson::kObjectType);
  container.AddMember("name", "app", a);
  container.AddMember("image", "k8s.gcr.io/hpa-example", a);
  JsonValue resources(rapidjson::kObjectType);
  JsonValue requests(rapidjson::kObjectType);
  requests.AddMember("cpu", Str(CpuQuantity(c.cpu_request_cores), a), a);
  JsonValue limits(rapidjson::kObjectType);
  limits.AddMember("cpu", Str(CpuQuantity(c.cpu_limit_cores), a), a);
  resources.AddMember("requests", requests, a);
  resources.AddMember("limits", limits, a);
  container.AddMember("resources", resources, a);
  containers.PushBack(container, a);
  spec.AddMember("containers", containers, a);
  d.AddMember("spec", spec, a);
  JsonValue status(rapidjson::kObjectType);
  status.AddMember("phase", Str(pod.ready ? "Running" : "Pending", a), a);
  status.AddMember("startTime", Str(FormatRfc3339(sim_.WallTime(pod.created_s)), a), a);
  JsonValue conditions(rapidjson::kArrayType);
  JsonValue ready(rapidjson::kObjectType);
  ready.AddMember("type", "Ready", a);
  ready.AddMember("status", Str(pod.ready ? "True" : "False", a), a);
  ready.AddMember("lastTransitionTime",
                  Str(FormatRfc3339(sim_.WallTime(pod.ready ? pod.ready_s : pod.created_s)), a), a);
  conditions.PushBack(ready, a);
  status.AddMember("conditions", conditions, a);
  d.AddMember("status", status, a);
  return d;
}

JsonDocument SimApi::PodMetricsJson(const PodMetricView& metric, TimePoint timestamp,
                                    double window_s) {
  JsonDocument d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("apiVersion", "metrics.k8s.io/v1beta1", a);
  d.AddMember("kind", "PodMetrics", a);
  JsonValue meta(rapidjson::kObjectType);
  meta.AddMember("name", Str(metric.name, a), a);
  meta.AddMember("namespace", Str(kNamespace, a), a);
  JsonValue labels(rapidjson::kObjectType);
  labels.AddMember("app", "web", a);
  meta.AddMember("labels", labels, a);
  d.AddMember("metadata", meta, a);
  d.AddMember("timestamp", Str(FormatRfc3339(timestamp), a), a);
  d.AddMember("window", Str(fmt::format("{}s", static_cast<int>(window_s)), a), a);
  JsonValue containers(rapidjson::kArrayType);
  JsonValue container(rapidjson::kObjectType);
  container.AddMember("name", "app", a);
  JsonValue usage(rapidjson::kObjectType);
  usage.AddMember(
      "cpu", Str(fmt::format("{}n", static_cast<int64_t>(std::llround(metric.cpu_cores * 1e9))), a),
      a);
  usage.AddMember("memory", "12Mi", a);
  container.AddMember("usage", usage, a);
  containers.PushBack(container, a);
  d.AddMember("containers", containers, a);
  return d;
}

Result<JsonDocument> SimApi::GetObject(const kube::ObjectRef& ref, std::string_view ns) {
  CPA_RETURN_IF_ERROR(CheckTarget(ref, ns));
  return DeploymentJson();
}

Result<JsonDocument> SimApi::ListPods(std::string_view ns, std::string_view selector) {
  JsonDocument list(rapidjson::kObjectType);
  auto& a = list.GetAllocator();
  list.AddMember("apiVersion", "v1", a);
  list.AddMember("kind", "PodList", a);
  JsonValue items(rapidjson::kArrayType);
  if (ns == kNamespace && SelectorMatches(selector)) {
    for (const auto& pod : sim_.Pods()) {
      JsonDocument p = PodJson(pod);
      items.PushBack(JsonValue(p, a), a);
    }
  }
  list.AddMember("items", items, a);
  return list;
}

Result<JsonDocument> SimApi::GetPodMetrics(std::string_view ns, std::string_view selector) {
  JsonDocument list(rapidjson::kObjectType);
  auto& a = list.GetAllocator();
  list.AddMember("apiVersion", "metrics.k8s.io/v1beta1", a);
  list.AddMember("kind", "PodMetricsList", a);
  JsonValue items(rapidjson::kArrayType);
  if (ns == kNamespace && SelectorMatches(selector)) {
    // Only pods that still exist: metrics-server drops deleted pods from its answer.
    std::map<std::string, bool> live;
    for (const auto& pod : sim_.Pods()) live[pod.name] = true;
    for (const auto& m : sim_.PodMetrics()) {
      if (!live.contains(m.name)) continue;
      JsonDocument item =
          PodMetricsJson(m, sim_.WallTime(m.timestamp_s), sim_.options().cluster.reported_window_s);
      items.PushBack(JsonValue(item, a), a);
    }
  }
  list.AddMember("items", items, a);
  return list;
}

Result<JsonDocument> SimApi::GetObjectMetric(std::string_view, const kube::ObjectRef&,
                                             std::string_view metric, std::string_view) {
  return MakeErrorF(ErrorCode::kNotFound,
                    "custom metric \"{}\" is not served by the simulated cluster", metric);
}

Result<JsonDocument> SimApi::GetPodsMetric(std::string_view, std::string_view metric,
                                           std::string_view, std::string_view) {
  return MakeErrorF(ErrorCode::kNotFound,
                    "custom metric \"{}\" is not served by the simulated cluster", metric);
}

Result<JsonDocument> SimApi::GetExternalMetric(std::string_view, std::string_view metric,
                                               std::string_view) {
  return MakeErrorF(ErrorCode::kNotFound,
                    "external metric \"{}\" is not served by the simulated cluster", metric);
}

Result<engine::TargetState> SimApi::GetTarget(const config::ScaleTargetRef& ref,
                                              const std::string& name_space) {
  return cluster_.GetTarget(ref, name_space);
}

Status SimApi::Scale(const config::ScaleTargetRef& ref, const std::string& name_space,
                     int replicas) {
  return cluster_.Scale(ref, name_space, replicas);
}

}  // namespace cpa::experiments
