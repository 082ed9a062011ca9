#include "engine/stages/events.h"

#include <fmt/format.h>

namespace cpa::engine {

std::string FailureReason(std::string_view stage) {
  if (stage == "target") return "FailedGetScale";
  if (stage == "metric" || stage == "preMetric" || stage == "postMetric") {
    return "FailedGetMetrics";
  }
  if (stage == "scale" || stage == "preScale" || stage == "postScale") return "FailedRescale";
  return "FailedComputeMetricsReplicas";  // evaluate, preEvaluate, postEvaluate, stabilize
}

namespace {

std::string RescaleReason(const ScaleDecision& d, const StageError* error) {
  if (error != nullptr && error->fallback_replicas) {
    return fmt::format("fallback after failed runs (last failed in stage {})", error->stage);
  }
  std::string reason = fmt::format("evaluation returned {}", d.evaluated_replicas);
  if (d.target_replicas != d.evaluated_replicas) {
    reason += fmt::format(", {} by minReplicas/maxReplicas/stabilization",
                          d.target_replicas > d.evaluated_replicas ? "raised" : "lowered");
  }
  return reason;
}

}  // namespace

std::vector<TargetEvent> EventsForRun(const RunResult& result, const StageError* error) {
  std::vector<TargetEvent> events;
  if (result.run_type == RunType::kApiDryRun) return events;
  if (result.decision && result.decision->applied) {
    events.push_back({"Normal", "SuccessfulRescale",
                      fmt::format("New size: {}; reason: {}", result.decision->target_replicas,
                                  RescaleReason(*result.decision, error))});
  }
  if (error != nullptr) {
    std::string message;
    if (FailureReason(error->stage) == "FailedRescale" && result.decision) {
      message = fmt::format("New size: {}; reason: {}; error: {}", result.decision->target_replicas,
                            RescaleReason(*result.decision, nullptr), error->ToString());
    } else {
      message = fmt::format("the {} stage failed: {}", error->stage, error->error.message);
    }
    events.push_back({"Warning", FailureReason(error->stage), std::move(message)});
  }
  return events;
}

}  // namespace cpa::engine
