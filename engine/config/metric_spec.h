// Typed autoscaling/v2 MetricSpec, as given in the config's `kubernetesMetricSpecs` and in the
// built-in HPA evaluator's `metrics`.
//
// Field names and validation rules are the Kubernetes API's (HorizontalPodAutoscaler v2):
// Resource and ContainerResource take Utilization or AverageValue targets, Pods takes
// AverageValue, Object and External take Value or AverageValue. Plain values; thread-compatible.
//
// Ours: `type: Prometheus` (docs/prometheus.md) is an External metric whose value comes from a
// PromQL query. It is parsed into type kExternal with `external` holding its name and target (so
// the HPA evaluators apply the upstream External rules unchanged) and `prometheus` holding the
// query; MetricSpecToJson writes it back as `type: Prometheus`.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/quantity.h"
#include "engine/config/config_issues.h"

namespace cpa::config {

struct LabelSelectorRequirement {
  std::string key;
  std::string op;  // In, NotIn, Exists, DoesNotExist
  std::vector<std::string> values;
};

struct LabelSelector {
  std::map<std::string, std::string> match_labels;
  std::vector<LabelSelectorRequirement> match_expressions;
  // The string form used in `labelSelector=` queries: "app=web,tier in (a,b),!legacy".
  std::string ToSelectorString() const;
};

enum class MetricTargetType { kUtilization, kValue, kAverageValue };
enum class MetricSourceType { kResource, kContainerResource, kPods, kObject, kExternal };

std::string_view MetricTargetTypeName(MetricTargetType type);
std::string_view MetricSourceTypeName(MetricSourceType type);

struct MetricTarget {
  MetricTargetType type = MetricTargetType::kUtilization;
  std::optional<Quantity> value;
  std::optional<Quantity> average_value;
  std::optional<int> average_utilization;
};

struct MetricIdentifier {
  std::string name;
  std::optional<LabelSelector> selector;
};

struct ObjectReference {
  std::string api_version;
  std::string kind;
  std::string name;
};

struct ResourceMetricSource {
  std::string name;  // cpu, memory, ...
  MetricTarget target;
};

struct ContainerResourceMetricSource {
  std::string name;
  std::string container;
  MetricTarget target;
};

struct PodsMetricSource {
  MetricIdentifier metric;
  MetricTarget target;
};

struct ObjectMetricSource {
  ObjectReference described_object;
  MetricIdentifier metric;
  MetricTarget target;
};

struct ExternalMetricSource {
  MetricIdentifier metric;
  MetricTarget target;
};

struct PrometheusMetricSource {
  std::string name = "prometheus";           // the metric's name in audits and recorded metrics
  std::string query;                         // PromQL; may use {{namespace}}, {{target}}, {{pod}}
  MetricTarget target;                       // Value or AverageValue
  std::optional<double> empty_result_value;  // used when the query returns no sample
  std::string aggregation = "none";          // none | sum | avg | max | min over the series
};

struct MetricSpec {
  MetricSourceType type = MetricSourceType::kResource;
  std::optional<ResourceMetricSource> resource;
  std::optional<ContainerResourceMetricSource> container_resource;
  std::optional<PodsMetricSource> pods;
  std::optional<ObjectMetricSource> object;
  std::optional<ExternalMetricSource> external;
  std::optional<PrometheusMetricSource> prometheus;  // with type kExternal (see above)
};

// Whether a target must carry its number (averageUtilization / averageValue / value).
// kubernetesMetricSpecs only fetch current values, so there the number may be left out, as the
// original's config reference allows (the target `type` still decides which current value is
// reported); an evaluator that compares against the target (hpa, phpa) requires it.
enum class TargetValues { kRequired, kOptional };

// Parses and validates one MetricSpec; problems are recorded under `path`.
std::optional<MetricSpec> ParseMetricSpec(const JsonValue& value, const std::string& path,
                                          ConfigIssues& issues,
                                          TargetValues target_values = TargetValues::kRequired);
std::optional<LabelSelector> ParseLabelSelector(const JsonValue& value, const std::string& path,
                                                ConfigIssues& issues);
// The API's JSON shape (camelCase), e.g. for printing the effective config.
JsonValue MetricSpecToJson(const MetricSpec& spec, JsonAllocator& a);

}  // namespace cpa::config
