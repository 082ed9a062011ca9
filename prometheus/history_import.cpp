#include "prometheus/history_import.h"

#include <map>

#include <fmt/format.h>

namespace cpa::prometheus {

Result<ImportReport> ImportRange(Client& client, store::Store& store, const RangeImport& import) {
  if (import.step.count() <= 0) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "step must be > 0, got {} ms",
                      import.step.count());
  }
  if (import.end < import.start) {
    return MakeError(ErrorCode::kInvalidArgument, "end is before start");
  }
  ImportReport report;
  const auto span = import.step * (kMaxPointsPerQuery - 1);
  TimePoint chunk_start = import.start;
  ValueRules rules = import.rules;
  rules.empty_result_value.reset();
  while (chunk_start <= import.end) {
    TimePoint chunk_end = std::min<TimePoint>(import.end, chunk_start + span);
    auto result = client.QueryRange(import.query, chunk_start, chunk_end, import.step);
    ++report.requests;
    if (!result) {
      return std::unexpected(result.error().WithContext(
          fmt::format("range {} .. {}", FormatRfc3339(chunk_start), FormatRfc3339(chunk_end))));
    }
    if (result->type != ResultType::kMatrix) {
      return MakeErrorF(ErrorCode::kInvalidArgument, "a range query returned a {}, not a matrix",
                        ResultTypeName(result->type));
    }
    // Every series' value at each step, by time.
    std::map<TimePoint, std::vector<double>> by_time;
    for (const auto& series : result->series) {
      for (const auto& p : series.points) by_time[p.time].push_back(p.value);
    }
    const int64_t steps =
        std::chrono::duration_cast<std::chrono::milliseconds>(chunk_end - chunk_start) /
            import.step +
        1;
    std::vector<store::RunRecord> records;
    records.reserve(by_time.size());
    for (const auto& [time, values] : by_time) {
      if (values.size() > 1 && rules.aggregation == Aggregation::kNone) {
        return MakeErrorF(ErrorCode::kInvalidArgument,
                          "{}: the query returned {} series; it must return one (aggregate it in "
                          "PromQL, e.g. sum(...), or set an aggregation)",
                          FormatRfc3339(time), values.size());
      }
      auto v = Aggregate(values, rules);
      if (!v) continue;  // NaN or Inf at this step
      store::RunRecord record;
      record.autoscaler = import.autoscaler;
      record.time = time;
      record.metrics.push_back(
          store::MetricPoint::FromText(import.resource, import.metric, fmt::format("{}", *v)));
      records.push_back(std::move(record));
      if (!report.first || time < *report.first) report.first = time;
      if (!report.last || time > *report.last) report.last = time;
    }
    if (!records.empty()) {
      if (auto s = store.Record(records); !s) return std::unexpected(s.error());
    }
    report.points += static_cast<int64_t>(records.size());
    report.skipped += std::max<int64_t>(0, steps - static_cast<int64_t>(records.size()));
    chunk_start = chunk_end + import.step;
  }
  return report;
}

Result<std::optional<MissingRange>> BackfillPlan(store::Store& store,
                                                 const store::SeriesRef& series, TimePoint now,
                                                 Duration needed, std::chrono::milliseconds step) {
  const TimePoint want_from = now - needed;
  auto list = store.ListSeries(series.autoscaler);  // extents from the index, no row scan
  if (!list) return std::unexpected(list.error());
  for (const auto& info : *list) {
    if (info.resource != series.resource || info.metric != series.name || info.points == 0) {
      continue;
    }
    if (info.first <= want_from + step) return std::optional<MissingRange>();
    return std::optional<MissingRange>(MissingRange{want_from, info.first - step});
  }
  return std::optional<MissingRange>(MissingRange{want_from, now});
}

}  // namespace cpa::prometheus
