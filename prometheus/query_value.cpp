#include "prometheus/query_value.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace cpa::prometheus {

std::string_view AggregationName(Aggregation a) {
  switch (a) {
    case Aggregation::kNone:
      return "none";
    case Aggregation::kSum:
      return "sum";
    case Aggregation::kAvg:
      return "avg";
    case Aggregation::kMax:
      return "max";
    case Aggregation::kMin:
      return "min";
  }
  return "none";
}

std::optional<Aggregation> ParseAggregation(std::string_view name) {
  for (Aggregation a : {Aggregation::kNone, Aggregation::kSum, Aggregation::kAvg, Aggregation::kMax,
                        Aggregation::kMin}) {
    if (AggregationName(a) == name) return a;
  }
  return std::nullopt;
}

namespace {

// Calls `on_text` for literal text and `on_name` for each placeholder name.
template <typename Text, typename Name>
Status Scan(std::string_view query, Text on_text, Name on_name) {
  size_t pos = 0;
  while (pos < query.size()) {
    const size_t open = query.find("{{", pos);
    if (open == std::string_view::npos) {
      on_text(query.substr(pos));
      break;
    }
    on_text(query.substr(pos, open - pos));
    const size_t close = query.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return MakeErrorF(ErrorCode::kInvalidArgument, "unclosed \"{{{{\" at offset {}", open);
    }
    std::string_view name = query.substr(open + 2, close - open - 2);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (std::find(std::begin(kPlaceholderNames), std::end(kPlaceholderNames), name) ==
        std::end(kPlaceholderNames)) {
      return MakeErrorF(ErrorCode::kInvalidArgument,
                        "unknown placeholder \"{{{{{}}}}}\" (known: {{{{namespace}}}}, "
                        "{{{{target}}}}, {{{{pod}}}})",
                        name);
    }
    CPA_RETURN_IF_ERROR(on_name(std::string(name)));
    pos = close + 2;
  }
  return OkStatus();
}

Status CheckFinite(double v) {
  if (std::isnan(v)) return MakeError(ErrorCode::kInvalidArgument, "the query returned NaN");
  if (std::isinf(v)) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "the query returned {}Inf", v > 0 ? "+" : "-");
  }
  return OkStatus();
}

}  // namespace

Result<std::vector<std::string>> Placeholders(std::string_view query) {
  std::vector<std::string> names;
  auto s = Scan(
      query, [](std::string_view) {},
      [&](std::string name) -> Status {
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
        return OkStatus();
      });
  if (!s) return std::unexpected(s.error());
  return names;
}

Result<std::string> RenderQuery(std::string_view query,
                                const std::map<std::string, std::string>& vars) {
  std::string out;
  out.reserve(query.size());
  auto s = Scan(
      query, [&](std::string_view text) { out.append(text); },
      [&](std::string name) -> Status {
        auto it = vars.find(name);
        if (it == vars.end()) {
          return MakeErrorF(ErrorCode::kInvalidArgument, "placeholder {{{{{}}}}} has no value here",
                            name);
        }
        out += it->second;
        return OkStatus();
      });
  if (!s) return std::unexpected(s.error());
  return out;
}

Result<double> Aggregate(const std::vector<double>& values, const ValueRules& rules) {
  for (double v : values) CPA_RETURN_IF_ERROR(CheckFinite(v));
  if (values.empty()) {
    if (rules.empty_result_value) return *rules.empty_result_value;
    return MakeError(ErrorCode::kUnavailable,
                     "the query returned an empty result (set emptyResultValue to use a value "
                     "instead)");
  }
  switch (rules.aggregation) {
    case Aggregation::kNone:
      if (values.size() != 1) {
        return MakeErrorF(ErrorCode::kInvalidArgument,
                          "the query returned {} series; it must return one (aggregate it in "
                          "PromQL, e.g. sum(...), or set aggregation: sum|avg|max|min)",
                          values.size());
      }
      return values.front();
    case Aggregation::kSum: {
      double sum = 0;
      for (double v : values) sum += v;
      return sum;
    }
    case Aggregation::kAvg: {
      double sum = 0;
      for (double v : values) sum += v;
      return sum / static_cast<double>(values.size());
    }
    case Aggregation::kMax:
      return *std::max_element(values.begin(), values.end());
    case Aggregation::kMin:
      return *std::min_element(values.begin(), values.end());
  }
  return values.front();
}

Result<ReducedValue> ReduceInstant(const QueryResult& result, const ValueRules& rules) {
  if (result.type == ResultType::kMatrix) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the query returned a range vector (matrix); an instant value is needed");
  }
  std::vector<double> values;
  ReducedValue out;
  for (const auto& series : result.series) {
    if (series.points.empty()) continue;
    if (values.empty()) out.time = series.points.front().time;
    values.push_back(series.points.front().value);
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (auto s = CheckFinite(values[i]); !s) {
      std::string where;
      if (!result.series[i].labels.empty()) {
        where = " for " + LabelsText(result.series[i].labels);
      }
      return std::unexpected(Error{s.error().code, s.error().message + where});
    }
  }
  auto v = Aggregate(values, rules);
  if (!v) return std::unexpected(v.error());
  out.value = *v;
  out.samples = values.size();
  return out;
}

}  // namespace cpa::prometheus
