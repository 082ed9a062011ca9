#include "engine/kubernetes_metrics/prometheus_metric.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/kubernetes_metrics/pod_grouping.h"
#include "prometheus/client.h"
#include "prometheus/query_value.h"

namespace cpa::engine {
namespace {

int64_t ToMilli(double v) {
  const double milli = std::round(v * 1000.0);
  if (milli >= 9.2e18) return std::numeric_limits<int64_t>::max();
  if (milli <= -9.2e18) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(milli);
}

}  // namespace

Result<GatheredPrometheusMetric> GatherPrometheusMetric(
    prometheus::Client* client, const config::PrometheusMetricSource& source,
    const std::string& name_space, const TargetState& target, TimePoint now) {
  if (client == nullptr) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "no Prometheus server: the config has no top-level prometheus section");
  }
  prometheus::ValueRules rules;
  rules.aggregation =
      prometheus::ParseAggregation(source.aggregation).value_or(prometheus::Aggregation::kNone);
  rules.empty_result_value = source.empty_result_value;
  auto names = prometheus::Placeholders(source.query);
  if (!names) return std::unexpected(names.error());
  std::map<std::string, std::string> vars{{"namespace", name_space}};
  vars["target"] = target.object ? MetadataString(*target.object, "name") : std::string();
  const bool per_pod = std::find(names->begin(), names->end(), "pod") != names->end();

  GatheredPrometheusMetric out;
  auto& r = out.result;
  TimePoint sample_time = now;
  auto run = [&](const std::string& query) -> Result<prometheus::ReducedValue> {
    auto reply = client->Query(query, now);
    if (!reply) return std::unexpected(reply.error().WithContext("query " + query));
    auto value = prometheus::ReduceInstant(*reply, rules);
    if (!value) return std::unexpected(value.error().WithContext("query " + query));
    return value;
  };
  if (!per_pod) {
    auto query = prometheus::RenderQuery(source.query, vars);
    if (!query) return std::unexpected(query.error());
    auto value = run(*query);
    if (!value) return std::unexpected(value.error());
    r.query = *query;
    r.value = value->value;
    r.samples = static_cast<int64_t>(value->samples);
    if (value->samples > 0) sample_time = value->time;
  } else {
    if (target.pods.empty()) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "the query uses {{pod}} but the target has no pods");
    }
    double total = 0;
    for (const auto& pod : target.pods) {
      vars["pod"] = MetadataString(*pod, "name");
      auto query = prometheus::RenderQuery(source.query, vars);
      if (!query) return std::unexpected(query.error());
      auto value = run(*query);
      if (!value) return std::unexpected(value.error());
      if (r.query.empty()) r.query = *query;
      r.pod_values[vars["pod"]] = value->value;
      r.samples += static_cast<int64_t>(value->samples);
      total += value->value;
    }
    r.value = total;
  }
  out.value.timestamp = sample_time;
  if (source.target.type == config::MetricTargetType::kAverageValue) {
    out.value.current.average_value = ToMilli(r.value);
  } else {
    out.value.current.value = ToMilli(r.value);
    out.value.ready_pod_count = kubernetes_metrics::CountReadyPods(target.pods);
  }
  return out;
}

}  // namespace cpa::engine
