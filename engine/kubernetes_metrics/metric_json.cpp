// JSON form of a gathered Kubernetes metric, with the Go Custom Pod Autoscaler's field names.
#include <ctime>

#include <fmt/format.h>

#include "engine/kubernetes_metrics/kubernetes_metric.h"

namespace cpa::engine::kubernetes_metrics {
namespace {

JsonValue PodMetricsInfoToJson(const PodMetricsInfo& info, JsonAllocator& a) {
  JsonValue out(rapidjson::kObjectType);
  for (const auto& [pod, m] : info) {
    JsonValue entry(rapidjson::kObjectType);
    // The original's entries changed key case between its versions (k8s PodMetric without
    // JSON tags: Timestamp/Window/Value; k8shorizmetrics: timestamp/window/value). Both are
    // sent so user logic written against either reads its keys. Window is Go's Duration:
    // nanoseconds.
    const std::string ts = FormatGoTime(m.timestamp);
    entry.AddMember("Timestamp", JsonString(ts, a), a);
    entry.AddMember("Window", static_cast<int64_t>(m.window.count()), a);
    entry.AddMember("Value", m.value, a);
    entry.AddMember("timestamp", JsonString(ts, a), a);
    entry.AddMember("window", static_cast<int64_t>(m.window.count()), a);
    entry.AddMember("value", m.value, a);
    out.AddMember(JsonString(pod, a), entry, a);
  }
  return out;
}

// Go's sets.String marshals as an object whose members are empty objects.
JsonValue PodSetToJson(const std::set<std::string>& pods, JsonAllocator& a) {
  JsonValue out(rapidjson::kObjectType);
  for (const auto& pod : pods)
    out.AddMember(JsonString(pod, a), JsonValue(rapidjson::kObjectType), a);
  return out;
}

JsonValue ResourceToJson(const ResourceMetric& m, JsonAllocator& a) {
  JsonValue out(rapidjson::kObjectType);
  out.AddMember("pod_metrics_info", PodMetricsInfoToJson(m.pod_metrics_info, a), a);
  if (m.requests) {
    JsonValue requests(rapidjson::kObjectType);
    for (const auto& [pod, milli] : *m.requests)
      requests.AddMember(JsonString(pod, a), JsonValue(static_cast<int64_t>(milli)), a);
    out.AddMember("requests", requests, a);
  } else {
    out.AddMember("requests", JsonValue(rapidjson::kNullType), a);
  }
  out.AddMember("ready_pod_count", m.ready_pod_count, a);
  out.AddMember("ignored_pods", PodSetToJson(m.ignored_pods, a), a);
  out.AddMember("missing_pods", PodSetToJson(m.missing_pods, a), a);
  out.AddMember("total_pods", m.total_pods, a);
  out.AddMember("timestamp", JsonString(FormatGoTime(m.timestamp), a), a);
  return out;
}

JsonValue PodsToJson(const PodsMetric& m, JsonAllocator& a) {
  JsonValue out(rapidjson::kObjectType);
  out.AddMember("pod_metrics_info", PodMetricsInfoToJson(m.pod_metrics_info, a), a);
  out.AddMember("ready_pod_count", m.ready_pod_count, a);
  out.AddMember("ignored_pods", PodSetToJson(m.ignored_pods, a), a);
  out.AddMember("missing_pods", PodSetToJson(m.missing_pods, a), a);
  out.AddMember("total_pods", m.total_pods, a);
  out.AddMember("timestamp", JsonString(FormatGoTime(m.timestamp), a), a);
  return out;
}

JsonValue ValueToJson(const ValueMetric& m, JsonAllocator& a) {
  JsonValue out(rapidjson::kObjectType);
  JsonValue current(rapidjson::kObjectType);
  if (m.current.value) current.AddMember("value", *m.current.value, a);
  if (m.current.average_value) current.AddMember("average_value", *m.current.average_value, a);
  out.AddMember("current", current, a);
  if (m.ready_pod_count) out.AddMember("ready_pod_count", *m.ready_pod_count, a);
  out.AddMember("timestamp", JsonString(FormatGoTime(m.timestamp), a), a);
  return out;
}

}  // namespace

std::string FormatGoTime(TimePoint t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch());
  auto seconds = std::chrono::floor<std::chrono::seconds>(ns);
  int64_t fraction = (ns - seconds).count();
  std::time_t tt = static_cast<std::time_t>(seconds.count());
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::string out = fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}", tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (fraction != 0) {
    std::string digits = fmt::format("{:09d}", fraction);
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    out += "." + digits;
  }
  out += 'Z';
  return out;
}

JsonValue ToJson(const KubernetesMetric& metric, JsonAllocator& a) {
  JsonValue out(rapidjson::kObjectType);
  out.AddMember("current_replicas", metric.current_replicas, a);
  out.AddMember("spec", config::MetricSpecToJson(metric.spec, a), a);
  if (metric.resource) out.AddMember("resource", ResourceToJson(*metric.resource, a), a);
  if (metric.pods) out.AddMember("pods", PodsToJson(*metric.pods, a), a);
  if (metric.object) out.AddMember("object", ValueToJson(*metric.object, a), a);
  if (metric.external) out.AddMember("external", ValueToJson(*metric.external, a), a);
  if (metric.prometheus) {
    const auto& p = *metric.prometheus;
    JsonValue prom(rapidjson::kObjectType);
    prom.AddMember("query", JsonString(p.query, a), a);
    prom.AddMember("value", p.value, a);
    prom.AddMember("samples", p.samples, a);
    if (!p.pod_values.empty()) {
      JsonValue pods(rapidjson::kObjectType);
      for (const auto& [pod, v] : p.pod_values) pods.AddMember(JsonString(pod, a), JsonValue(v), a);
      prom.AddMember("pod_values", pods, a);
    }
    out.AddMember("prometheus", prom, a);
  }
  return out;
}

}  // namespace cpa::engine::kubernetes_metrics
