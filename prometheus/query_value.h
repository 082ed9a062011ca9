// From a query's text and reply to one number: placeholder templating and the rules that turn a
// Prometheus result into the value a metric spec or a history point uses.
//
// Templating: `{{namespace}}`, `{{target}}` (the scaleTargetRef name) and `{{pod}}` (per-pod
// queries) are replaced; any other `{{...}}` is an error naming it. Reduction: a scalar, or a
// vector of exactly one sample, unless an aggregation (sum, avg, max, min) is configured; an
// empty vector is an error unless an `emptyResultValue` is configured; a NaN or infinite value is
// always an error. Pure functions; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "prometheus/response.h"

namespace cpa::prometheus {

enum class Aggregation { kNone, kSum, kAvg, kMax, kMin };
std::string_view AggregationName(Aggregation a);  // "none", "sum", "avg", "max", "min"
// nullopt for an unknown name.
std::optional<Aggregation> ParseAggregation(std::string_view name);

inline constexpr std::string_view kPlaceholderNames[] = {"namespace", "target", "pod"};

// The placeholder names used by `query`, in order of appearance (duplicates kept once).
// kInvalidArgument for an unclosed "{{" or an unknown name.
Result<std::vector<std::string>> Placeholders(std::string_view query);
// Replaces every placeholder with vars[name]; a name missing from `vars` is an error.
Result<std::string> RenderQuery(std::string_view query,
                                const std::map<std::string, std::string>& vars);

struct ValueRules {
  Aggregation aggregation = Aggregation::kNone;
  std::optional<double> empty_result_value;
};

struct ReducedValue {
  double value = 0.0;
  size_t samples = 0;  // samples the value was computed from (0: emptyResultValue used)
  TimePoint time;      // of the (first) sample; unset when empty
};

// One instant result (scalar or vector) to one value.
Result<ReducedValue> ReduceInstant(const QueryResult& result, const ValueRules& rules);
// Several values at one time (the series of a matrix at one step) with the same rules.
Result<double> Aggregate(const std::vector<double>& values, const ValueRules& rules);

}  // namespace cpa::prometheus
