// The numbers of the report: per run (contender, connection model, seed) and per day, the
// metrics the issue names, computed from a run's Trace; and their spread over seeds.
//
// Days are 24 h windows from the start (item 8). Requests belong to the load run (and day) they
// were issued in. A load rise is a load run whose scheduled users exceed the previous run's;
// first5/first30 are the mean latency of the load runs starting in the first 5/30 minutes after
// it, steady the mean of the rest of its phase (absent when the phase is 30 minutes or shorter).
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "experiments/runner.h"

namespace cpa::experiments {

struct RiseMetrics {
  double time_s = 0;
  int users_before = 0;
  int users_after = 0;
  double first5_mean_ms = 0;
  double first30_mean_ms = 0;
  std::optional<double> steady_mean_ms;
};

struct DayMetrics {
  std::string name;  // contender
  ConnectionModel connection = ConnectionModel::kPerRequest;
  uint64_t seed = 0;
  int day = 1;  // 1-based
  int64_t requests = 0;
  int64_t failed = 0;
  double latency_mean_ms = 0;
  double latency_p95_ms = 0;
  double latency_p99_ms = 0;
  double latency_max_ms = 0;
  std::optional<double> rise_latency_mean_ms;  // absent on a day without rises
  double replica_hours = 0;
  int scale_events = 0;
  double under_provisioned_s = 0;
  std::vector<RiseMetrics> rises;
};

std::vector<DayMetrics> ComputeDayMetrics(const RunOutput& run);

// One scalar's spread over seeds.
struct Spread {
  int n = 0;
  double mean = 0;
  double min = 0;
  double max = 0;
  double stdev = 0;  // sample standard deviation (0 for one seed)
};
Spread ComputeSpread(const std::vector<double>& values);

}  // namespace cpa::experiments
