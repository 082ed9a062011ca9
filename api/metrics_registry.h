// The autoscaler's own Prometheus metrics (served at GET /metrics): runs, failures by stage, run
// durations, last current/target replicas, method call durations, API requests, store size.
//
// The owner of the runs calls RecordRun after every run (the Scheduler's observer for scheduled
// runs; ApiServer itself for API-triggered runs), ObserveMethodCall around method calls when
// it can, and SetStoreSizeBytes when it knows the store size. Every series is labelled with the
// autoscaler id ("namespace/name"). All methods are thread-safe. The Clock (for the last-run
// timestamp) must outlive the registry.
#pragma once

#include <chrono>
#include <expected>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "api/prometheus.h"
#include "common/clock.h"
#include "engine/run_types.h"

namespace cpa::api {

using RunOutcome = std::expected<engine::RunResult, engine::StageError>;
using Seconds = std::chrono::duration<double>;

// The latest run of one autoscaler, as readiness checks want it.
struct LastRun {
  engine::RunType run_type = engine::RunType::kScaler;
  TimePoint finished;
  bool ok = false;
  std::string error;  // "stage: code: message" when !ok
};

class MetricsRegistry {
 public:
  explicit MetricsRegistry(Clock& clock = SystemClock::Instance());

  // After every run. Dry runs count as runs (run_type="api_dry_run") but never move the
  // target-replicas gauge, which shows what the autoscaler last decided for real.
  void RecordRun(std::string_view autoscaler_id, engine::RunType run_type,
                 const RunOutcome& outcome, Seconds duration);
  // One call of a method or hook ("metric", "evaluate", "preScale", ...).
  void ObserveMethodCall(std::string_view autoscaler_id, std::string_view method, bool ok,
                         Seconds duration);
  // API requests: `route` is the route template (bounded cardinality), `code` the status.
  void CountApiRequest(std::string_view route, int code);
  void ObserveApiRequestDuration(std::string_view route, Seconds duration);
  void SetStoreSizeBytes(int64_t bytes);

  std::optional<LastRun> last_run(std::string_view autoscaler_id) const;

  // Prometheus text format 0.0.4.
  std::string Exposition() const { return registry_.Exposition(); }

 private:
  Clock& clock_;
  prometheus::Registry registry_;
  prometheus::CounterId runs_, failures_, scales_, api_requests_;
  prometheus::CounterId fallback_scales_, observed_rescales_;
  prometheus::GaugeId current_replicas_, target_replicas_, evaluated_replicas_, last_run_time_,
      last_run_success_, store_size_;
  prometheus::HistogramId run_duration_, method_duration_, api_duration_;
  mutable std::mutex last_mu_;
  std::map<std::string, LastRun, std::less<>> last_runs_;
};

}  // namespace cpa::api
