#include "cli/prometheus_series.h"

#include <map>

#include "prometheus/client.h"
#include "prometheus/query_value.h"
#include "store/time_text.h"

namespace cpa::cli {

void AddPrometheusSeriesFlags(CLI::App* cmd, PrometheusSeriesFlags& flags) {
  cmd->add_option("--prometheus", flags.address,
                  "Read the series from this Prometheus server (instead of --input or --store), "
                  "with --query, --start, --end, --step");
  cmd->add_option("--query", flags.query, "PromQL of the series (with --prometheus)");
  cmd->add_option("--start", flags.start, "Range start: RFC 3339 or Unix ms (with --prometheus)");
  cmd->add_option("--end", flags.end, "Range end: RFC 3339 or Unix ms (with --prometheus)");
  cmd->add_option("--step", flags.step, "Range resolution (with --prometheus)")
      ->capture_default_str();
  cmd->add_option("--aggregation", flags.aggregation,
                  "none, sum, avg, max, min: several series at one step (with --prometheus)")
      ->capture_default_str();
}

Result<phpa::Series> ReadSeriesPrometheus(const PrometheusSeriesFlags& flags) {
  if (flags.query.empty() || flags.start.empty() || flags.end.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "--prometheus needs --query, --start and --end");
  }
  auto start = store::ParseTime(flags.start);
  if (!start) return std::unexpected(start.error().WithContext("--start"));
  auto end = store::ParseTime(flags.end);
  if (!end) return std::unexpected(end.error().WithContext("--end"));
  auto step = store::ParseDuration(flags.step);
  if (!step || *step <= Duration::zero()) {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "--step: must be a positive duration, got \"{}\"", flags.step);
  }
  auto aggregation = prometheus::ParseAggregation(flags.aggregation);
  if (!aggregation) {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "--aggregation: must be none, sum, avg, max or min, got \"{}\"",
                      flags.aggregation);
  }
  prometheus::ServerConfig server;
  server.address = flags.address;
  auto client = prometheus::Client::Create(server);
  if (!client) return std::unexpected(client.error());
  const auto step_ms = std::chrono::duration_cast<std::chrono::milliseconds>(*step);
  prometheus::ValueRules rules;
  rules.aggregation = *aggregation;
  phpa::Series out;
  const auto span = step_ms * (prometheus::kMaxPointsPerQuery - 1);
  for (TimePoint from = *start; from <= *end; from = from + span + step_ms) {
    const TimePoint to = std::min<TimePoint>(*end, from + span);
    auto result = (*client)->QueryRange(flags.query, from, to, step_ms);
    if (!result) return std::unexpected(result.error());
    std::map<TimePoint, std::vector<double>> by_time;
    for (const auto& s : result->series) {
      for (const auto& p : s.points) by_time[p.time].push_back(p.value);
    }
    for (const auto& [time, values] : by_time) {
      if (values.size() > 1 && rules.aggregation == prometheus::Aggregation::kNone) {
        return MakeErrorF(ErrorCode::kInvalidArgument,
                          "the query returned {} series; it must return one (aggregate it, or "
                          "set --aggregation)",
                          values.size());
      }
      auto v = prometheus::Aggregate(values, rules);
      if (!v) continue;  // NaN/Inf at this step
      out.times.push_back(time);
      out.values.push_back(*v);
      out.extra.push_back(std::nullopt);
    }
  }
  if (out.size() == 0) {
    return MakeErrorF(ErrorCode::kNotFound, "the query returned no value in {} .. {}", flags.start,
                      flags.end);
  }
  return out;
}

}  // namespace cpa::cli
