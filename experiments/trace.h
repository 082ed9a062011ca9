// What one simulated run records: load runs (as the load tool reports them), per-minute request
// aggregates, replica samples, and per-day latency histograms. Filled by Simulation; read by the
// summary and report code. Plain values; not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace cpa::experiments {

// One load run (item 5): requests completed in it, failures, latency (failures included).
struct LoadRunRecord {
  double start_s = 0;  // seconds since the experiment start
  int users = 0;
  int scheduled_users = 0;  // before noise: what the schedule asked for (rises are read here)
  int64_t requests = 0;
  int64_t failed = 0;
  double latency_sum_s = 0;
  double latency_min_s = 0;
  double latency_max_s = 0;
};

// Requests by the minute they were issued in.
struct MinuteRecord {
  int64_t requests = 0;
  int64_t failed = 0;
  double latency_sum_s = 0;
  double latency_max_s = 0;
};

// A sample every sample period (item 6: 15 s).
struct ReplicaSample {
  double t_s = 0;
  int replicas = 0;      // the Deployment's spec.replicas
  int ready = 0;         // ready pods (endpoints)
  int users = 0;         // users of the current load run
  int needed = 0;        // pods needed at the reference utilization for the offered load
  double cpu_cores = 0;  // CPU used by all pods over the last sample period (cores)
};

// Latency histogram: 1 ms bins up to 60 s, then one overflow bin.
struct LatencyHistogram {
  static constexpr int kBins = 60000;
  std::vector<uint32_t> bins = std::vector<uint32_t>(kBins + 1, 0);
  void Add(double seconds) {
    int64_t ms = static_cast<int64_t>(seconds * 1000.0);
    if (ms < 0) ms = 0;
    ++bins[ms >= kBins ? kBins : static_cast<size_t>(ms)];
  }
  // The q-quantile in seconds (upper edge of its bin); 0 when empty.
  double Quantile(double q) const;
};

struct DayRecord {
  LatencyHistogram histogram;
  double replica_seconds = 0;      // integral of spec.replicas
  int scale_events = 0;            // changes of spec.replicas
  double under_provisioned_s = 0;  // time with ready pods < needed
};

struct Trace {
  std::vector<LoadRunRecord> load_runs;
  std::vector<MinuteRecord> minutes;
  std::vector<ReplicaSample> samples;
  std::vector<DayRecord> days;
  int64_t requests_dropped = 0;  // in flight when their load run ended (not recorded, item 4)
};

}  // namespace cpa::experiments
