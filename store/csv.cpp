#include "store/csv.h"

#include <optional>
#include <set>

#include <fmt/format.h>

#include "store/number.h"
#include "store/query.h"
#include "store/time_text.h"

namespace cpa::store {
namespace {

std::string Opt(const std::optional<int64_t>& v) { return v ? fmt::format("{}", *v) : ""; }
std::string Opt(const std::optional<double>& v) { return v ? FormatNumber(*v) : ""; }

std::string TimeColumns(TimePoint t) { return fmt::format("{},{}", FormatTime(t), ToMillis(t)); }

}  // namespace

std::string CsvField(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string SamplesToCsv(std::span<const Sample> samples) {
  std::string out = "time,unix_ms,resource,value,text\n";
  for (const Sample& s : samples) {
    out += fmt::format("{},{},{},{}\n", TimeColumns(s.time), CsvField(s.resource), Opt(s.value),
                       CsvField(s.text));
  }
  return out;
}

std::string BucketsToCsv(std::span<const Bucket> buckets) {
  std::string out = "time,unix_ms,value,count\n";
  for (const Bucket& b : buckets) {
    out += fmt::format("{},{},{}\n", TimeColumns(b.start), Opt(b.value), b.count);
  }
  return out;
}

std::string EvaluationsToCsv(std::span<const EvaluationRow> rows) {
  std::set<std::string> models;
  for (const auto& row : rows) {
    for (const auto& [model, value] : row.evaluation.predictions) models.insert(model);
  }
  std::string out = "time,unix_ms,target_replicas";
  for (const auto& model : models) out += fmt::format(",{}", CsvField("prediction:" + model));
  out += "\n";
  for (const auto& row : rows) {
    out += fmt::format("{},{}", TimeColumns(row.time), row.evaluation.target_replicas);
    for (const auto& model : models) {
      auto it = row.evaluation.predictions.find(model);
      out += ",";
      if (it != row.evaluation.predictions.end()) out += FormatNumber(it->second);
    }
    out += "\n";
  }
  return out;
}

std::string DecisionsToCsv(std::span<const DecisionRow> rows) {
  std::string out =
      "time,unix_ms,current_replicas,raw_target,stabilized_target,applied,run_type,error\n";
  for (const auto& row : rows) {
    const Decision& d = row.decision;
    out += fmt::format("{},{},{},{},{},{},{}\n", TimeColumns(row.time), Opt(d.current_replicas),
                       Opt(d.raw_target), Opt(d.stabilized_target), d.applied ? "true" : "false",
                       CsvField(d.run_type), CsvField(d.error));
  }
  return out;
}

}  // namespace cpa::store
