// Writes the autoscaler's part of its CustomPodAutoscaler's status: `currentReplicas`,
// `desiredReplicas` and `lastScaleTime` (the operator writes the provisioning part: conditions
// and observedGeneration). `cpa run` enables it when the operator names the resource (env
// CPA_RESOURCE_NAME, or --status-resource).
//
// StatusAfterRun() is the pure decision: what a run changes in the status (nothing for dry runs,
// failed runs and runs that change nothing already written). CrStatusReporter applies it with a
// merge PATCH of the status subresource; a write error is logged (once per distinct message) and
// never fails the run. Thread-safe.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "engine/run_types.h"
#include "kube/client.h"

namespace cpa::engine {

struct CrStatus {
  int current_replicas = 0;
  int desired_replicas = 0;
  std::optional<TimePoint> last_scale_time;
  bool operator==(const CrStatus&) const = default;
};

class StatusSink {
 public:
  virtual ~StatusSink() = default;
  // Called after every run of the autoscaler, successful or not.
  virtual void Report(const RunResult& result, bool succeeded) = 0;
};

// The status after `result` given what was written last (`last`), or nullopt when nothing
// changes. An applied scale sets lastScaleTime to the run's start and currentReplicas to the new
// size; an observed (observe mode) decision reports what it would do without a scale time.
std::optional<CrStatus> StatusAfterRun(const RunResult& result, bool succeeded,
                                       const std::optional<CrStatus>& last);

// The status patch body: {"status": {...}} (lastScaleTime only when set).
std::string StatusPatch(const CrStatus& status);

class CrStatusReporter final : public StatusSink {
 public:
  // `client` must outlive the reporter.
  CrStatusReporter(kube::Client& client, std::string name_space, std::string name);
  void Report(const RunResult& result, bool succeeded) override;

 private:
  kube::Client& client_;
  std::string namespace_;
  std::string name_;
  std::mutex mu_;
  std::optional<CrStatus> written_;
  std::string last_error_;
};

}  // namespace cpa::engine
