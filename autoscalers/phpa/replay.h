// Replay: run an autoscaler config — any evaluator: hpa, phpa or user logic — over a recorded
// demand series with a simulated clock, through the same engine code `cpa run` uses
// (engine::Autoscaler over a KubeCluster over SimulatedApi), and compare the replica timeline it
// would have produced with what happened.
//
// Runs are at first-time + k * interval up to the last time; each run sees the newest demand
// sample at or before it. The demand is spread over the Running pods (simulated_cluster.h); new
// pods run after `pod_startup`. User-logic configs get their metric from the replay (per-pod: the
// demand per Running pod; per-resource: the whole demand) instead of calling `metric`; their
// `evaluate` and hooks run for real. History goes to a private in-memory store; nothing is
// scaled outside the simulation and no wall clock is read, so the same input gives the same
// output byte for byte. Not thread-safe (one replay per call).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "autoscalers/phpa/series_source.h"
#include "common/error.h"
#include "common/json.h"
#include "engine/config/config.h"

namespace cpa::phpa {

struct ReplayOptions {
  Series demand;                              // total demand over time
  std::vector<std::optional<double>> actual;  // what happened (replicas), by demand index
  Duration pod_startup = std::chrono::seconds(0);
  double cpu_request_cores = 1.0;       // per pod
  std::optional<double> pod_capacity;   // demand one Running pod serves
  std::optional<int> initial_replicas;  // default: the first actual, else minReplicas
};

struct ReplayRow {
  TimePoint time;
  double demand = 0.0;
  int replicas = 0;                // spec replicas after the run
  int ready = 0;                   // Running pods during the run
  std::optional<int> evaluated;    // the evaluator's result
  std::optional<double> actual;    // what happened
  bool under_provisioned = false;  // demand > ready * pod_capacity
  std::string error;
};

struct ReplaySummary {
  int runs = 0;
  int failed_runs = 0;
  double replica_hours = 0.0;  // spec replicas over time
  int scale_events = 0;
  std::optional<double> under_provisioned_hours;  // with pod_capacity
  std::optional<double> actual_replica_hours;     // of what happened, when known
  std::optional<int> actual_scale_events;
  int max_replicas = 0;
};

struct ReplayResult {
  std::vector<ReplayRow> rows;
  ReplaySummary summary;
};

// `config` as LoadConfig produced it; its scaleTargetRef (default Deployment "replay") names the
// simulated target.
Result<ReplayResult> Replay(const config::Config& config, const ReplayOptions& options);

// time,unix_ms,demand,replicas,ready,evaluated,actual,under_provisioned,error
std::string ReplayCsv(const ReplayResult& result);
JsonDocument ReplaySummaryJson(const ReplaySummary& summary);

}  // namespace cpa::phpa
