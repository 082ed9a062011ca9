// Kubernetes Events about a run, on the scale target (as the HPA records them).
//
// EventsForRun() is pure: an applied scale is a Normal `SuccessfulRescale` event whose message is
// worded as the HPA's ("New size: N; reason: ..."); a failed run is a Warning naming the stage:
// `FailedGetScale` (target), `FailedGetMetrics` (metric and its hooks),
// `FailedComputeMetricsReplicas` (evaluate, its hooks, stabilize) or `FailedRescale` (scale and its
// hooks). Dry runs and observed (not applied) decisions produce none. An EventSink delivers them
// (engine/event_recorder.h: aggregated, rate-limited, to the API server); implementations are
// thread-safe.
#pragma once

#include <string>
#include <vector>

#include "engine/config/config.h"
#include "engine/run_types.h"

namespace cpa::engine {

struct TargetEvent {
  std::string type;  // "Normal" | "Warning"
  std::string reason;
  std::string message;
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Never blocks the run for long and never fails it: delivery errors are the sink's to log.
  virtual void Emit(const config::ScaleTargetRef& target, const std::string& name_space,
                    const TargetEvent& event) = 0;
};

// The event reason for a failure in `stage` (see the file comment).
std::string FailureReason(std::string_view stage);

std::vector<TargetEvent> EventsForRun(const RunResult& result, const StageError* error);

}  // namespace cpa::engine
