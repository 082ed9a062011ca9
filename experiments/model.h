// The parameters of a simulated experiment: the load (users, think time, load runs), the cluster
// (pods, CPU, start-up, metrics-server) and the autoscaler settings every contender shares.
//
// Defaults are the original 2020 experiment's; each field names the item of the parameter table
// in experiments/README.md it comes from. Plain values; copyable; thread-safe to read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace cpa::experiments {

// A window of UTC hours [from_hour, to_hour) with its own number of users (items 1, 2).
struct LoadPhase {
  int from_hour = 0;
  int to_hour = 24;
  int users = 0;
  double spawn_rate = 1.0;  // users started per second at the start of a load run
};

// Short spikes on top of the schedule: every `every_s` seconds of elapsed time, starting at
// `offset_s`, one load run has `users` users (the original's short spiky test).
struct Spike {
  double every_s = 300;
  double offset_s = 150;
  int users = 100;
  double spawn_rate = 100;
};

struct LoadModel {
  double run_seconds = 300;                                            // item 4: one load run
  double run_period_seconds = 300;                                     // item 4: runs back to back
  double think_min_s = 3;                                              // item 3
  double think_max_s = 5;                                              // item 3
  int users = 15;                                                      // item 1: all other hours
  double spawn_rate = 3;                                               // item 2
  std::vector<LoadPhase> phases = {{9, 12, 25, 4}, {15, 17, 40, 20}};  // items 1, 2
  // Monday..Sunday multipliers of the number of users (a weekly pattern); empty: all 1.
  std::vector<double> weekday_factors;
  // Per load run, users *= max(0, 1 + users_noise * N(0, 1)), rounded (noisy load).
  double users_noise = 0;
  std::optional<Spike> spike;

  // Users and spawn rate of the load run starting at `wall` (`elapsed` seconds into the run),
  // before noise.
  std::pair<int, double> UsersAt(TimePoint wall, double elapsed) const;
};

// Item 7: how requests find a pod.
enum class ConnectionModel {
  kPerRequest,  // every request picks a random ready pod
  kSticky,      // a user keeps one keep-alive connection (one pod) for its load run
};
std::string_view ConnectionModelName(ConnectionModel model);  // "per-request", "sticky"

// Item 12: how a pod's CPU limit shapes request latency.
enum class CpuModel {
  kProcessorSharing,  // fluid: n requests share the limit (limit / n cores each)
  kCfs,  // CFS quota: bursts of up to `cpu_burst_cores` until the period's quota is used
};
std::string_view CpuModelName(CpuModel model);  // "ps", "cfs"

struct ClusterModel {
  double cpu_request_cores = 0.2;       // item 9
  double cpu_limit_cores = 0.5;         // item 9 / 12
  CpuModel cpu_model = CpuModel::kCfs;  // item 12
  double cfs_period_s = 0.1;            // item 12: 50 ms of quota per 100 ms period
  double cpu_burst_cores = 1.0;         // item 12: cores a pod's requests share while unthrottled
  double request_cpu_min_s = 0.13;      // item 10, calibrated on item 13: core-s per request
  double request_cpu_max_s = 0.15;      // (uniform); see experiments/README.md
  int initial_replicas = 1;             // item 9
  double startup_median_s = 3;          // item 16: lognormal start-up to Ready
  double startup_p95_s = 8;             // item 16
  double scrape_period_s = 60;          // item 18
  double rate_window_s = 15;            // item 18
  double reported_window_s = 30;        // item 18
  double timeout_s = 0;                 // item 3: no client timeout (0); > 0 fails slower requests
  double fast_failure_fraction = 0.0003;  // item 14
  double fast_failure_min_s = 0.002;      // item 14
  double fast_failure_max_s = 0.004;      // item 14
  // Seconds a request takes to fail when no pod is ready (connection refused).
  double refused_s = 0.001;
  ConnectionModel connection = ConnectionModel::kPerRequest;

  double StartupSigma() const;  // lognormal sigma from the median and 95th percentile
};

// The settings both autoscalers of the original ran with (items 19-23).
struct AutoscalerSettings {
  int min_replicas = 1;
  int max_replicas = 20;
  int interval_s = 15;
  int downscale_stabilization_s = 300;
  double tolerance = 0.1;
  int cpu_initialization_period_s = 300;
  int initial_readiness_delay_s = 30;
  int target_utilization = 50;
  // Holt-Winters of the PHPA (item 23).
  double alpha = 0.1;
  double beta = 0.1;
  double gamma = 0.9;
  int season_length = 5760;
  int stored_seasons = 4;
};

}  // namespace cpa::experiments
