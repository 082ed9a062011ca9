#include "engine/kubernetes_metrics/gatherer.h"

#include <limits>

#include "common/log.h"
#include "engine/kubernetes_metrics/metrics_api.h"
#include "engine/kubernetes_metrics/prometheus_metric.h"

namespace cpa::engine {
namespace {

using kubernetes_metrics::KubernetesMetric;
using kubernetes_metrics::PodsMetric;
using kubernetes_metrics::ReadinessPeriods;
using kubernetes_metrics::ResourceMetric;
using kubernetes_metrics::ValueMetric;

std::unexpected<Error> Because(const Error& cause, std::string_view context) {
  return std::unexpected(cause.WithContext(context));
}

Status RequireSelector(const TargetState& target) {
  if (target.selector.empty()) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "the scale target publishes no pod selector (its /scale status.selector is "
                     "empty), so its pods' metrics cannot be queried");
  }
  return OkStatus();
}

std::string MetricSelector(const config::MetricIdentifier& id) {
  return id.selector ? id.selector->ToSelectorString() : std::string();
}

// Resource and ContainerResource (container non-empty).
Result<ResourceMetric> GatherResource(kube::Api& api, const std::string& ns,
                                      const std::string& resource, const std::string& container,
                                      bool utilization, const TargetState& target,
                                      const ReadinessPeriods& periods, TimePoint now) {
  const std::string context = fmt::format("unable to get metrics for resource {}", resource);
  if (auto s = RequireSelector(target); !s) return Because(s.error(), context);
  auto list = api.GetPodMetrics(ns, target.selector);
  if (!list) {
    return Because(list.error(), context + ": unable to fetch metrics from resource metrics API");
  }
  auto sample = kubernetes_metrics::ReadPodMetricsList(*list, resource, container);
  if (!sample) return Because(sample.error(), context);
  if (target.pods.empty()) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "no pods returned by selector while calculating replica count");
  }
  ResourceMetric m;
  auto groups = kubernetes_metrics::GroupPods(target.pods, sample->metrics, resource, periods, now);
  for (const auto& pod : groups.ignored_pods) sample->metrics.erase(pod);
  if (utilization) {
    auto requests = kubernetes_metrics::PodRequests(target.pods, resource, container);
    if (!requests) return std::unexpected(requests.error());
    m.requests = std::move(*requests);
  }
  m.pod_metrics_info = std::move(sample->metrics);
  m.ready_pod_count = groups.ready_pod_count;
  m.ignored_pods = std::move(groups.ignored_pods);
  m.missing_pods = std::move(groups.missing_pods);
  m.total_pods = static_cast<int64_t>(target.pods.size());
  m.timestamp = sample->timestamp;
  return m;
}

Result<PodsMetric> GatherPods(kube::Api& api, const std::string& ns,
                              const config::PodsMetricSource& source, const TargetState& target,
                              const ReadinessPeriods& periods, TimePoint now) {
  const std::string context = fmt::format("unable to get metric {}", source.metric.name);
  if (auto s = RequireSelector(target); !s) return Because(s.error(), context);
  auto list =
      api.GetPodsMetric(ns, source.metric.name, target.selector, MetricSelector(source.metric));
  if (!list) {
    return Because(list.error(), context + ": unable to fetch metrics from custom metrics API");
  }
  auto items = kubernetes_metrics::ReadMetricValueList(*list);
  if (!items) return Because(items.error(), context);
  if (items->empty()) {
    return MakeErrorF(ErrorCode::kUnavailable, "{}: no metrics returned from custom metrics API",
                      context);
  }
  PodsMetric m;
  for (const auto& item : *items) {
    m.pod_metrics_info[item.described_name] =
        kubernetes_metrics::PodMetric{item.timestamp, item.window, item.value};
  }
  m.timestamp = items->front().timestamp;
  // No readiness rule: a pods metric is never CPU.
  auto groups = kubernetes_metrics::GroupPods(target.pods, m.pod_metrics_info, "", periods, now);
  m.ready_pod_count = groups.ready_pod_count;
  m.ignored_pods = std::move(groups.ignored_pods);
  m.missing_pods = std::move(groups.missing_pods);
  m.total_pods = static_cast<int64_t>(target.pods.size());
  return m;
}

Result<ValueMetric> GatherObject(kube::Api& api, const std::string& ns,
                                 const config::ObjectMetricSource& source,
                                 const TargetState& target) {
  const auto& described = source.described_object;
  const std::string context = fmt::format("unable to get metric {}: {} on {} {}",
                                          source.metric.name, described.kind, ns, described.name);
  auto list = api.GetObjectMetric(
      ns, kube::ObjectRef{described.api_version, described.kind, described.name},
      source.metric.name, MetricSelector(source.metric));
  if (!list) {
    return Because(list.error(), context + ": unable to fetch metrics from custom metrics API");
  }
  auto items = kubernetes_metrics::ReadMetricValueList(*list);
  if (!items) return Because(items.error(), context);
  if (items->size() != 1) {
    return MakeErrorF(ErrorCode::kUnavailable,
                      "{}: the custom metrics API server returned {} results when we asked for "
                      "exactly one",
                      context, items->size());
  }
  ValueMetric m;
  m.timestamp = items->front().timestamp;
  if (source.target.type == config::MetricTargetType::kAverageValue) {
    m.current.average_value = items->front().value;
  } else {
    m.current.value = items->front().value;
    m.ready_pod_count = kubernetes_metrics::CountReadyPods(target.pods);
  }
  return m;
}

Result<ValueMetric> GatherExternal(kube::Api& api, const std::string& ns,
                                   const config::ExternalMetricSource& source,
                                   const TargetState& target) {
  const std::string selector = MetricSelector(source.metric);
  const std::string context =
      fmt::format("unable to get external metric {}/{}/{}", ns, source.metric.name,
                  selector.empty() ? "<no selector>" : selector);
  auto list = api.GetExternalMetric(ns, source.metric.name, selector);
  if (!list) {
    return Because(list.error(), context + ": unable to fetch metrics from external metrics API");
  }
  auto items = kubernetes_metrics::ReadMetricValueList(*list);
  if (!items) return Because(items.error(), context);
  if (items->empty()) {
    return MakeErrorF(ErrorCode::kUnavailable, "{}: no metrics returned from external metrics API",
                      context);
  }
  int64_t total = 0;
  for (const auto& item : *items) {
    // Saturates on overflow, as the HPA caps the sum at MaxInt64.
    if (__builtin_add_overflow(total, item.value, &total)) {
      total = item.value > 0 ? std::numeric_limits<int64_t>::max()
                             : std::numeric_limits<int64_t>::min();
      break;
    }
  }
  ValueMetric m;
  m.timestamp = items->front().timestamp;
  if (source.target.type == config::MetricTargetType::kAverageValue) {
    m.current.average_value = total;  // the sum, as the original: the consumer divides
  } else {
    m.current.value = total;
    m.ready_pod_count = kubernetes_metrics::CountReadyPods(target.pods);
  }
  return m;
}

// "Resource cpu", "Pods requests_per_second", ... for messages.
std::string Describe(const config::MetricSpec& spec) {
  if (spec.prometheus) return "Prometheus " + spec.prometheus->name;
  std::string name;
  if (spec.resource) name = spec.resource->name;
  if (spec.container_resource) {
    name = spec.container_resource->name + " of container " + spec.container_resource->container;
  }
  if (spec.pods) name = spec.pods->metric.name;
  if (spec.object) name = spec.object->metric.name;
  if (spec.external) name = spec.external->metric.name;
  return fmt::format("{} {}", config::MetricSourceTypeName(spec.type), name);
}

}  // namespace

Result<KubernetesMetric> GatherKubernetesMetric(kube::Api& api, const config::MetricSpec& spec,
                                                const std::string& name_space,
                                                const TargetState& target,
                                                const ReadinessPeriods& periods, TimePoint now,
                                                prometheus::Client* prometheus) {
  KubernetesMetric metric;
  metric.current_replicas = target.current_replicas;
  metric.spec = spec;
  if (spec.prometheus) {
    auto m = GatherPrometheusMetric(prometheus, *spec.prometheus, name_space, target, now);
    if (!m) return Because(m.error(), "failed to get prometheus metric " + spec.prometheus->name);
    metric.external = std::move(m->value);
    metric.prometheus = std::move(m->result);
    return metric;
  }
  switch (spec.type) {
    case config::MetricSourceType::kResource: {
      if (!spec.resource) break;
      auto m = GatherResource(api, name_space, spec.resource->name, "",
                              spec.resource->target.type == config::MetricTargetType::kUtilization,
                              target, periods, now);
      if (!m) return Because(m.error(), "failed to get resource metric");
      metric.resource = std::move(*m);
      return metric;
    }
    case config::MetricSourceType::kContainerResource: {
      if (!spec.container_resource) break;
      const auto& source = *spec.container_resource;
      auto m = GatherResource(api, name_space, source.name, source.container,
                              source.target.type == config::MetricTargetType::kUtilization, target,
                              periods, now);
      if (!m) return Because(m.error(), "failed to get container resource metric");
      metric.resource = std::move(*m);
      return metric;
    }
    case config::MetricSourceType::kPods: {
      if (!spec.pods) break;
      auto m = GatherPods(api, name_space, *spec.pods, target, periods, now);
      if (!m) return Because(m.error(), "failed to get pods metric");
      metric.pods = std::move(*m);
      return metric;
    }
    case config::MetricSourceType::kObject: {
      if (!spec.object) break;
      auto m = GatherObject(api, name_space, *spec.object, target);
      if (!m) return Because(m.error(), "failed to get object metric");
      metric.object = std::move(*m);
      return metric;
    }
    case config::MetricSourceType::kExternal: {
      if (!spec.external) break;
      auto m = GatherExternal(api, name_space, *spec.external, target);
      if (!m) return Because(m.error(), "failed to get external metric");
      metric.external = std::move(*m);
      return metric;
    }
  }
  return MakeErrorF(ErrorCode::kInvalidArgument, "metric spec of type {} has no {} block",
                    config::MetricSourceTypeName(spec.type),
                    config::MetricSourceTypeName(spec.type));
}

Result<std::vector<KubernetesMetric>> GatherKubernetesMetricList(kube::Api& api,
                                                                 const config::Config& config,
                                                                 const TargetState& target,
                                                                 TimePoint now,
                                                                 prometheus::Client* prometheus) {
  ReadinessPeriods periods;
  periods.cpu_initialization_period = std::chrono::seconds(config.cpu_initialization_period_s);
  periods.initial_readiness_delay = std::chrono::seconds(config.initial_readiness_delay_s);
  std::vector<KubernetesMetric> metrics;
  metrics.reserve(config.kubernetes_metric_specs.size());
  for (size_t i = 0; i < config.kubernetes_metric_specs.size(); ++i) {
    const auto& spec = config.kubernetes_metric_specs[i];
    auto metric =
        GatherKubernetesMetric(api, spec, config.namespace_, target, periods, now, prometheus);
    if (!metric) {
      const std::string where = fmt::format("kubernetesMetricSpecs[{}] ({})", i, Describe(spec));
      if (config.require_kubernetes_metrics) {
        return std::unexpected(metric.error().WithContext(where));
      }
      log::Warning("{}: left out of kubernetesMetrics (requireKubernetesMetrics is false): {}",
                   where, metric.error().ToString());
      continue;
    }
    metrics.push_back(std::move(*metric));
  }
  log::V(3, "kubernetesMetrics: {} of {} specs gathered", metrics.size(),
         config.kubernetes_metric_specs.size());
  return metrics;
}

Result<JsonDocument> GatherKubernetesMetrics(kube::Api& api, const config::Config& config,
                                             const TargetState& target, TimePoint now,
                                             prometheus::Client* prometheus) {
  auto metrics = GatherKubernetesMetricList(api, config, target, now, prometheus);
  if (!metrics) return std::unexpected(metrics.error());
  JsonDocument doc;
  doc.SetArray();
  auto& a = doc.GetAllocator();
  for (const auto& metric : *metrics) doc.PushBack(kubernetes_metrics::ToJson(metric, a), a);
  return doc;
}

}  // namespace cpa::engine
