// The values that flow between the stages of one autoscaling run (DESIGN.md "Data flow").
//
// target -> gather -> evaluate -> stabilize -> scale. Each stage takes and returns these plain
// values, so any stage can be run alone (API dry runs, replay, tests). JSON documents are the
// Kubernetes objects exactly as the API returned them. Copyable values; no shared state.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/json.h"

namespace cpa::engine {

enum class RunType { kScaler, kApi, kApiDryRun };
std::string_view RunTypeName(RunType type);  // "scaler", "api", "api_dry_run"

// The scale target as read at the start of a run.
struct TargetState {
  std::shared_ptr<const JsonDocument> object;  // the target resource as the API returns it
  int current_replicas = 0;                    // from its /scale subresource (spec.replicas)
  int status_replicas = 0;                     // /scale status.replicas (observed)
  std::string selector;                        // scale.status.selector ("" when none)
  std::vector<std::shared_ptr<const JsonDocument>> pods;  // sorted by name (StatefulSet: ordinal)
};

// One metric as handed to the evaluator: {"resource": "<pod or target name>", "value": "..."}.
struct Metric {
  std::string resource;
  std::string value;
};

struct Evaluation {
  int target_replicas = 0;
  // Built-in evaluators' model forecasts by model name (phpa), stored with the evaluation.
  std::map<std::string, double> predictions;
};

struct ScaleDecision {
  int current_replicas = 0;
  int evaluated_replicas = 0;  // what the evaluator returned
  int target_replicas = 0;     // after min/max clamp and stabilization
  bool disabled = false;       // minReplicas != 0 and the target has 0 replicas
  bool applied = false;        // the /scale PATCH was sent
  bool observed = false;       // mode observe: decided and recorded, never applied
};

// Everything one run produced (what the record step persists).
struct RunResult {
  RunType run_type = RunType::kScaler;
  TimePoint started;
  std::vector<Metric> metrics;
  std::optional<Evaluation> evaluation;
  std::optional<ScaleDecision> decision;
  // Built-in evaluators: why this decision (engine/methods/evaluator.h); null otherwise.
  std::shared_ptr<const JsonDocument> audit;
};

// Names the stage a failure happened in: "target", "metric", "evaluate", "stabilize", "scale",
// or the hook ("preMetric" ...).
struct StageError {
  std::string stage;
  Error error;
  // Set when the fallback policy scaled the target after this failure (config `fallback`).
  std::optional<int> fallback_replicas = std::nullopt;
  std::string ToString() const { return stage + ": " + error.ToString(); }
};

}  // namespace cpa::engine
