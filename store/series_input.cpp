#include "store/series_input.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "store/number.h"
#include "store/time_text.h"

namespace cpa::store {
namespace {

// Splits one CSV line (RFC 4180 quoting, as store/csv.h writes it) into fields.
std::vector<std::string> SplitCsv(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  for (auto& f : fields) {
    while (!f.empty() && (f.back() == '\r' || f.back() == ' ' || f.back() == '\t')) f.pop_back();
    size_t start = 0;
    while (start < f.size() && (f[start] == ' ' || f[start] == '\t')) ++start;
    f.erase(0, start);
  }
  return fields;
}

// Accumulates rows, averaging the values of rows with the same time.
class SeriesBuilder {
 public:
  explicit SeriesBuilder(TimeSeries& out) : out_(out) {}
  Status Add(int64_t unix_ms, double value, std::string_view name, int line) {
    if (!out_.unix_ms.empty() && unix_ms < out_.unix_ms.back()) {
      return MakeErrorF(ErrorCode::kInvalidArgument,
                        "{}:{}: times must not decrease ({} ms after {} ms)", name, line, unix_ms,
                        out_.unix_ms.back());
    }
    if (!out_.unix_ms.empty() && unix_ms == out_.unix_ms.back()) {
      out_.values.back() = (out_.values.back() * count_ + value) / (count_ + 1);
      ++count_;
      return {};
    }
    out_.unix_ms.push_back(unix_ms);
    out_.values.push_back(value);
    count_ = 1;
    return {};
  }

 private:
  TimeSeries& out_;
  int count_ = 0;
};

// Times a TimePoint (int64 nanoseconds) holds: about 1678 to 2261 (found by fuzzing: a larger
// unix_ms overflowed the conversion).
constexpr double kMaxAbsUnixMs = 9.0e12;
// No export row comes near this; a longer line is not a series row.
constexpr size_t kMaxLineBytes = 64 * 1024;

// A plain timestamp: seconds since the epoch (fractions kept to the millisecond) or RFC 3339.
std::optional<int64_t> ParsePlainTimestamp(std::string_view text, bool& absolute) {
  if (auto seconds = ParseNumber(text)) {
    if (!(std::fabs(*seconds * 1000.0) <= kMaxAbsUnixMs)) return std::nullopt;
    absolute = false;
    return static_cast<int64_t>(std::llround(*seconds * 1000.0));
  }
  if (text.find('-') == std::string_view::npos) return std::nullopt;  // not a date
  auto t = ParseTime(text);
  if (!t) return std::nullopt;
  absolute = true;
  return ToUnixMillis(*t);
}

int IndexOf(const std::vector<std::string>& header, std::string_view name) {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

Result<TimeSeries> ReadCsvSeries(std::istream& in, std::string_view name, std::string_view column) {
  TimeSeries series;
  SeriesBuilder builder(series);
  std::string line;
  int line_number = 0;
  bool first_row = true;
  // Export layouts (a header with unix_ms): the column indices to read.
  int time_index = -1;
  int value_index = -1;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.size() > kMaxLineBytes) {
      return MakeErrorF(ErrorCode::kInvalidArgument, "{}:{}: line longer than {} bytes", name,
                        line_number, kMaxLineBytes);
    }
    std::string_view view = line;
    while (!view.empty() && (view.back() == '\r' || view.back() == ' ')) view.remove_suffix(1);
    if (view.empty() || view.front() == '#') continue;
    std::vector<std::string> fields = SplitCsv(view);
    if (first_row) {
      first_row = false;
      const int unix_ms = IndexOf(fields, "unix_ms");
      if (unix_ms >= 0) {  // a `cpa history export` layout
        time_index = unix_ms;
        std::vector<std::string_view> wanted;
        if (!column.empty()) {
          wanted.push_back(column);
        } else {
          wanted = {"value", "target_replicas", "stabilized_target"};
        }
        for (std::string_view w : wanted) {
          value_index = IndexOf(fields, w);
          if (value_index >= 0) break;
        }
        if (value_index < 0) {
          std::vector<std::string> candidates;
          for (const auto& f : fields) {
            if (f != "time" && f != "unix_ms" && f != "resource" && f != "text") {
              candidates.push_back(f);
            }
          }
          return MakeErrorF(ErrorCode::kInvalidArgument,
                            "{}:{}: no column \"{}\" in the header; value columns: {}", name,
                            line_number, column.empty() ? "value" : column,
                            fmt::join(candidates, ", "));
        }
        series.value_column = fields[static_cast<size_t>(value_index)];
        series.absolute_times = true;
        continue;
      }
      if (!column.empty()) {
        return MakeErrorF(ErrorCode::kInvalidArgument,
                          "{}: a column can only be chosen in a `cpa history export` file (a "
                          "header with unix_ms), not in `timestamp,value` rows",
                          name);
      }
      series.value_column = "value";
      // Plain rows: a first row whose fields do not parse is a header.
      bool absolute = false;
      if (fields.size() >= 2 && !ParsePlainTimestamp(fields[0], absolute) &&
          !ParseNumber(fields[1])) {
        continue;
      }
    }
    if (time_index >= 0) {
      const auto size = static_cast<int>(fields.size());
      if (time_index >= size || value_index >= size) {
        return MakeErrorF(ErrorCode::kInvalidArgument, "{}:{}: expected {} fields, got {}", name,
                          line_number, std::max(time_index, value_index) + 1, fields.size());
      }
      const auto ms = ParseNumber(fields[static_cast<size_t>(time_index)]);
      if (!ms || *ms != std::floor(*ms) || !(std::fabs(*ms) <= kMaxAbsUnixMs)) {
        return MakeErrorF(ErrorCode::kInvalidArgument,
                          "{}:{}: unix_ms \"{}\" is not an integer count of milliseconds between "
                          "the years 1678 and 2261",
                          name, line_number, fields[static_cast<size_t>(time_index)]);
      }
      const std::string& value_text = fields[static_cast<size_t>(value_index)];
      if (value_text.empty()) continue;  // an empty bucket or a failed run
      const auto value = ParseNumber(value_text);
      if (!value) {
        return MakeErrorF(ErrorCode::kInvalidArgument, "{}:{}: {} \"{}\" is not a number", name,
                          line_number, series.value_column, value_text);
      }
      if (auto s = builder.Add(static_cast<int64_t>(*ms), *value, name, line_number); !s) {
        return std::unexpected(s.error());
      }
      continue;
    }
    if (fields.size() < 2) {
      return MakeErrorF(ErrorCode::kInvalidArgument,
                        "{}:{}: expected `timestamp,value`, got \"{}\"", name, line_number, view);
    }
    bool absolute = false;
    const auto ms = ParsePlainTimestamp(fields[0], absolute);
    const auto value = ParseNumber(fields[1]);
    if (!ms || !value) {
      return MakeErrorF(ErrorCode::kInvalidArgument,
                        "{}:{}: cannot parse `{}` as `timestamp,value` (timestamp: seconds since "
                        "the epoch or RFC 3339; value: a number)",
                        name, line_number, view);
    }
    series.absolute_times = series.absolute_times || absolute;
    if (auto s = builder.Add(*ms, *value, name, line_number); !s) {
      return std::unexpected(s.error());
    }
  }
  if (series.values.empty()) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "{}: no data rows", name);
  }
  return series;
}

Result<TimeSeries> ReadStoreSeries(Store& store, std::string_view autoscaler_in,
                                   std::string_view series_name) {
  auto names = store.ListAutoscalers();
  if (!names) return std::unexpected(names.error());
  std::string autoscaler(autoscaler_in);
  if (autoscaler.empty()) {
    if (names->size() != 1) {
      return MakeErrorF(ErrorCode::kInvalidArgument,
                        "the store holds {} autoscalers; choose one with --autoscaler: {}",
                        names->size(),
                        names->empty() ? "(none)" : fmt::format("{}", fmt::join(*names, ", ")));
    }
    autoscaler = names->front();
  } else if (std::find(names->begin(), names->end(), autoscaler) == names->end()) {
    return MakeErrorF(ErrorCode::kNotFound, "no autoscaler \"{}\" in the store; it holds: {}",
                      autoscaler,
                      names->empty() ? "(none)" : fmt::format("{}", fmt::join(*names, ", ")));
  }
  SeriesRef ref;
  std::string label(series_name);
  if (series_name == "evaluations") {
    ref = SeriesRef::Of(autoscaler, SeriesKind::kEvaluationTarget);
    label = "target_replicas";
  } else if (series_name == "decisions") {
    ref = SeriesRef::Of(autoscaler, SeriesKind::kDecisionStabilizedTarget);
    label = "stabilized_target";
  } else if (series_name.starts_with("metric:")) {
    std::string rest(series_name.substr(7));
    const size_t colon = rest.find(':');
    ref = SeriesRef::Metric(autoscaler, colon == std::string::npos ? "" : rest.substr(colon + 1),
                            rest.substr(0, colon));
    auto infos = store.ListSeries(autoscaler);
    if (!infos) return std::unexpected(infos.error());
    bool found = false;
    std::vector<std::string> known;
    for (const auto& info : *infos) {
      const std::string id = fmt::format("metric:{}:{}", info.metric, info.resource);
      if (std::find(known.begin(), known.end(), "metric:" + info.metric) == known.end()) {
        known.push_back("metric:" + info.metric);
      }
      known.push_back(id);
      if (info.metric == ref.name && (ref.resource.empty() || info.resource == ref.resource)) {
        found = true;
      }
    }
    if (!found) {
      return MakeErrorF(
          ErrorCode::kNotFound,
          "autoscaler \"{}\" has no series \"{}\"; it has: evaluations, decisions{}{}", autoscaler,
          series_name, known.empty() ? "" : ", ", fmt::join(known, ", "));
    }
  } else {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "series must be evaluations, decisions or metric:NAME[:RESOURCE], got \"{}\"",
                      series_name);
  }
  auto samples = store.Values(ref, {});
  if (!samples) return std::unexpected(samples.error());
  TimeSeries series;
  series.absolute_times = true;
  series.value_column = label;
  SeriesBuilder builder(series);
  for (const auto& sample : *samples) {
    if (!sample.value) continue;
    if (auto s = builder.Add(ToUnixMillis(sample.time), *sample.value, autoscaler, 0); !s) {
      return std::unexpected(s.error());
    }
  }
  if (series.values.empty()) {
    return MakeErrorF(ErrorCode::kNotFound, "autoscaler \"{}\" has no numeric values in \"{}\"",
                      autoscaler, series_name);
  }
  return series;
}

}  // namespace cpa::store
