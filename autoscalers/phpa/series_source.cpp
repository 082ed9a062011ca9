#include "autoscalers/phpa/series_source.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "autoscalers/phpa/predictor.h"
#include "store/number.h"
#include "store/sqlite_store.h"
#include "store/time_text.h"

namespace cpa::phpa {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '"')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<TimePoint> ParseTimestamp(std::string_view text) {
  if (auto seconds = store::ParseNumber(text)) {
    if (!std::isfinite(*seconds) || std::fabs(*seconds) > 1e13) return std::nullopt;
    return FromUnixMillis(static_cast<int64_t>(std::llround(*seconds * 1000.0)));
  }
  if (text.find('-') == std::string_view::npos) return std::nullopt;
  std::string t(text);
  if (t.size() > 10 && t[10] == ' ') t[10] = 'T';
  if (auto parsed = store::ParseTime(t)) return *parsed;
  return std::nullopt;
}

}  // namespace

Result<Series> ReadSeriesCsv(std::istream& in, std::string_view name) {
  Series series;
  std::string line;
  int line_number = 0;
  bool first = true;
  while (std::getline(in, line)) {
    ++line_number;
    std::string_view view = Trim(line);
    if (view.empty() || view.front() == '#') continue;
    const size_t comma = view.find(',');
    std::optional<TimePoint> t;
    std::optional<double> v;
    std::optional<double> extra;
    if (comma != std::string_view::npos) {
      t = ParseTimestamp(Trim(view.substr(0, comma)));
      std::string_view rest = view.substr(comma + 1);
      const size_t second = rest.find(',');
      v = store::ParseNumber(Trim(rest.substr(0, second)));
      if (second != std::string_view::npos) {
        std::string_view third = rest.substr(second + 1);
        extra = store::ParseNumber(Trim(third.substr(0, third.find(','))));
      }
    }
    if (!t || !v) {
      if (first) {  // a header row
        first = false;
        continue;
      }
      return MakeErrorF(ErrorCode::kInvalidArgument,
                        "{}:{}: cannot parse `{}` as `timestamp,value` (timestamp: seconds since "
                        "the epoch or RFC 3339; value: a number)",
                        name, line_number, view);
    }
    first = false;
    if (!series.times.empty() && *t < series.times.back()) {
      return MakeErrorF(ErrorCode::kInvalidArgument, "{}:{}: timestamps must not decrease", name,
                        line_number);
    }
    series.times.push_back(*t);
    series.values.push_back(*v);
    series.extra.push_back(extra);
  }
  if (std::none_of(series.extra.begin(), series.extra.end(),
                   [](const auto& e) { return e.has_value(); })) {
    series.extra.clear();
  }
  if (series.size() == 0) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "{} has no data rows", name);
  }
  return series;
}

Result<Series> ReadSeriesFile(const std::string& path) {
  if (path == "-") return ReadSeriesCsv(std::cin, "<stdin>");
  std::ifstream file(path);
  if (!file) return MakeErrorF(ErrorCode::kNotFound, "cannot open {}", path);
  return ReadSeriesCsv(file, path);
}

Result<Series> ReadSeriesStore(store::Store& store, const std::string& autoscaler,
                               const std::string& series, SeriesReduce reduce) {
  store::SeriesRef ref;
  if (series == "evaluations") {
    ref = store::SeriesRef::Of(autoscaler, store::SeriesKind::kEvaluationTarget);
  } else if (series == "decisions") {
    ref = store::SeriesRef::Of(autoscaler, store::SeriesKind::kDecisionStabilizedTarget);
  } else if (series == "current") {
    ref = store::SeriesRef::Of(autoscaler, store::SeriesKind::kDecisionCurrent);
  } else if (series == "phpa" || series == "phpa:load") {
    ref = Predictor::HistorySeries(
        autoscaler, series == "phpa" ? LearnSource::kHpaReplicas : LearnSource::kLoad);
  } else if (series.starts_with("metric:")) {
    const std::string rest = series.substr(7);
    const size_t colon = rest.find(':');
    ref = store::SeriesRef::Metric(autoscaler,
                                   colon == std::string::npos ? "" : rest.substr(colon + 1),
                                   rest.substr(0, colon));
  } else {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "--series must be evaluations, decisions, current, phpa, phpa:load or "
                      "metric:NAME[:RESOURCE], got \"{}\"",
                      series);
  }
  auto samples = store.Values(ref, {});
  if (!samples) return std::unexpected(samples.error());
  Series out;
  int count = 0;
  for (const auto& sample : *samples) {
    if (!sample.value) continue;
    if (!out.times.empty() && out.times.back() == sample.time) {
      double& last = out.values.back();
      last = reduce == SeriesReduce::kSum ? last + *sample.value
                                          : (last * count + *sample.value) / (count + 1);
      ++count;
      continue;
    }
    out.times.push_back(sample.time);
    out.values.push_back(*sample.value);
    count = 1;
  }
  if (out.size() == 0) {
    return MakeErrorF(ErrorCode::kNotFound, "series {} of autoscaler {} has no numeric values",
                      series, autoscaler);
  }
  return out;
}

Result<Series> ReadSeriesStoreFile(const std::string& path, const std::string& autoscaler,
                                   const std::string& series, SeriesReduce reduce) {
  store::StoreOptions options;
  options.path = path;
  options.read_only = true;
  auto opened = store::OpenSqliteStore(options);
  if (!opened) return std::unexpected(opened.error());
  return ReadSeriesStore(**opened, autoscaler, series, reduce);
}

Duration MedianStep(const Series& series) {
  if (series.size() < 2) return Duration::zero();
  std::vector<Duration> d;
  for (size_t i = 1; i < series.size(); ++i) d.push_back(series.times[i] - series.times[i - 1]);
  std::nth_element(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(d.size() / 2), d.end());
  return d[d.size() / 2];
}

}  // namespace cpa::phpa
