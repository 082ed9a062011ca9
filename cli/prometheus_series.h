// A series read from Prometheus for `cpa tune` and `cpa replay` (docs/prometheus.md): the flags
// --prometheus URL --query Q --start T --end T [--step S] [--aggregation A], and the range query
// (chunked under Prometheus' 11,000 points per request) turned into a phpa::Series.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "autoscalers/phpa/series_source.h"
#include "common/error.h"

namespace cpa::cli {

struct PrometheusSeriesFlags {
  std::string address;
  std::string query;
  std::string start;
  std::string end;
  std::string step = "15s";
  std::string aggregation = "none";
  bool given() const { return !address.empty(); }
};

void AddPrometheusSeriesFlags(CLI::App* cmd, PrometheusSeriesFlags& flags);
// kInvalidArgument names the bad flag; kNotFound when the range holds no value.
Result<phpa::Series> ReadSeriesPrometheus(const PrometheusSeriesFlags& flags);

}  // namespace cpa::cli
