#include "api/metrics_registry.h"

#include <cstdlib>

#include "common/log.h"

namespace cpa::api {
namespace {

// Seconds; runs call user logic (processes, HTTP), so the range is milliseconds to a minute.
const std::vector<double> kRunBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                         1,     2.5,  5,     10,   30,  60};
const std::vector<double> kApiBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                         0.1,    0.25,  0.5,    1,     2.5,  5,     10};

// Declarations are static and known-good; a failure is a bug found by the first test.
template <typename T>
T Must(Result<T> r) {
  if (!r) {
    log::Error("metrics registry: {}", r.error().ToString());
    std::abort();
  }
  return *r;
}

}  // namespace

MetricsRegistry::MetricsRegistry(Clock& clock) : clock_(clock) {
  using prometheus::Registry;
  runs_ = Must(registry_.AddCounter("cpa_runs_total",
                                    "Autoscaling runs, by autoscaler, run type and result.",
                                    {"autoscaler", "run_type", "result"}));
  failures_ = Must(registry_.AddCounter("cpa_run_failures_total",
                                        "Failed runs, by autoscaler and the stage that failed.",
                                        {"autoscaler", "stage"}));
  scales_ = Must(registry_.AddCounter(
      "cpa_scales_total", "Runs that changed the replica count of the target.", {"autoscaler"}));
  fallback_scales_ = Must(registry_.AddCounter(
      "cpa_fallback_scales_total",
      "Scales to fallback.replicas after failureThreshold consecutive failed runs.",
      {"autoscaler"}));
  observed_rescales_ = Must(registry_.AddCounter(
      "cpa_observed_rescales_total",
      "Observe mode: runs that would have changed the replica count (nothing was scaled).",
      {"autoscaler"}));
  run_duration_ = Must(registry_.AddHistogram("cpa_run_duration_seconds",
                                              "Duration of autoscaling runs in seconds.",
                                              {"autoscaler", "run_type"}, kRunBuckets));
  current_replicas_ = Must(registry_.AddGauge(
      "cpa_current_replicas", "Replicas of the target when the last run read it.", {"autoscaler"}));
  evaluated_replicas_ = Must(registry_.AddGauge(
      "cpa_evaluated_replicas", "Replicas the evaluator returned in the last successful run.",
      {"autoscaler"}));
  target_replicas_ = Must(registry_.AddGauge(
      "cpa_target_replicas",
      "Replicas decided by the last non-dry run (after min/max clamp and stabilization).",
      {"autoscaler"}));
  last_run_time_ =
      Must(registry_.AddGauge("cpa_last_run_timestamp_seconds",
                              "Unix time at which the last run finished.", {"autoscaler"}));
  last_run_success_ = Must(registry_.AddGauge(
      "cpa_last_run_success", "1 if the last run succeeded, 0 if it failed.", {"autoscaler"}));
  method_duration_ = Must(registry_.AddHistogram("cpa_method_call_duration_seconds",
                                                 "Duration of method and hook calls in seconds.",
                                                 {"autoscaler", "method", "result"}, kRunBuckets));
  api_requests_ = Must(registry_.AddCounter(
      "cpa_api_requests_total", "HTTP requests served, by route template and status code.",
      {"route", "code"}));
  api_duration_ = Must(registry_.AddHistogram("cpa_api_request_duration_seconds",
                                              "Time spent handling API requests in seconds.",
                                              {"route"}, kApiBuckets));
  store_size_ = Must(registry_.AddGauge("cpa_store_size_bytes",
                                        "Size of the embedded store on disk in bytes.", {}));
}

void MetricsRegistry::RecordRun(std::string_view autoscaler_id, engine::RunType run_type,
                                const RunOutcome& outcome, Seconds duration) {
  std::string id(autoscaler_id);
  std::string type(engine::RunTypeName(run_type));
  registry_.Increment(runs_, {id, type, outcome ? "success" : "failure"});
  registry_.Observe(run_duration_, {id, type}, duration.count());
  LastRun last{run_type, clock_.Now(), outcome.has_value(), {}};
  if (!outcome) {
    registry_.Increment(failures_, {id, outcome.error().stage});
    if (outcome.error().fallback_replicas) registry_.Increment(fallback_scales_, {id});
    last.error = outcome.error().ToString();
  } else {
    if (outcome->evaluation) {
      registry_.Set(evaluated_replicas_, {id}, outcome->evaluation->target_replicas);
    }
    if (const auto& d = outcome->decision) {
      registry_.Set(current_replicas_, {id}, d->current_replicas);
      if (run_type != engine::RunType::kApiDryRun) {
        registry_.Set(target_replicas_, {id}, d->target_replicas);
        if (d->applied) registry_.Increment(scales_, {id});
        if (d->observed && d->target_replicas != d->current_replicas) {
          registry_.Increment(observed_rescales_, {id});
        }
      }
    }
  }
  registry_.Set(last_run_time_, {id},
                std::chrono::duration<double>(last.finished.time_since_epoch()).count());
  registry_.Set(last_run_success_, {id}, last.ok ? 1 : 0);
  std::lock_guard lock(last_mu_);
  last_runs_[id] = std::move(last);
}

void MetricsRegistry::ObserveMethodCall(std::string_view autoscaler_id, std::string_view method,
                                        bool ok, Seconds duration) {
  registry_.Observe(method_duration_,
                    {std::string(autoscaler_id), std::string(method), ok ? "success" : "failure"},
                    duration.count());
}

void MetricsRegistry::CountApiRequest(std::string_view route, int code) {
  registry_.Increment(api_requests_, {std::string(route), std::to_string(code)});
}

void MetricsRegistry::ObserveApiRequestDuration(std::string_view route, Seconds duration) {
  registry_.Observe(api_duration_, {std::string(route)}, duration.count());
}

void MetricsRegistry::SetStoreSizeBytes(int64_t bytes) {
  registry_.Set(store_size_, {}, static_cast<double>(bytes));
}

std::optional<LastRun> MetricsRegistry::last_run(std::string_view autoscaler_id) const {
  std::lock_guard lock(last_mu_);
  auto it = last_runs_.find(autoscaler_id);
  if (it == last_runs_.end()) return std::nullopt;
  return it->second;
}

}  // namespace cpa::api
