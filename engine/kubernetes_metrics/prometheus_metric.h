// Gathering one `type: Prometheus` metric spec (docs/prometheus.md): render the query's
// placeholders for the run's target, run an instant query at `now`, reduce the reply to one value
// (prometheus/query_value.h) and express it as an External metric's current value (milli-units):
// `value` for Value targets (with the ready pod count), `average_value` (the total; the HPA rules
// divide by the replicas) for AverageValue targets. A query using {{pod}} runs once per pod of
// the target and the pods' values are summed. Stateless; thread-safe when the client is.
#pragma once

#include <string>

#include "common/clock.h"
#include "common/error.h"
#include "engine/config/metric_spec.h"
#include "engine/kubernetes_metrics/kubernetes_metric.h"
#include "engine/run_types.h"

namespace cpa::prometheus {
class Client;
}

namespace cpa::engine {

struct GatheredPrometheusMetric {
  kubernetes_metrics::ValueMetric value;
  kubernetes_metrics::PrometheusResult result;
};

// `client` null: kFailedPrecondition (no `prometheus` server section).
Result<GatheredPrometheusMetric> GatherPrometheusMetric(
    prometheus::Client* client, const config::PrometheusMetricSource& source,
    const std::string& name_space, const TargetState& target, TimePoint now);

}  // namespace cpa::engine
