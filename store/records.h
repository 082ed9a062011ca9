// The records a run writes to the store and the rows queries return.
//
// Plain value types, no behaviour beyond small helpers; safe to copy and to share read-only
// between threads. Timestamps are stored with millisecond resolution (sub-millisecond parts of
// a TimePoint are truncated towards the past when written).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"

namespace cpa::store {

// One gathered metric value: the raw text the metric stage produced for `resource` (a pod or the
// target) under `metric` (e.g. "value" for user logic, "cpu" for a built-in gatherer). `value` is
// set when the text parses as a finite number (see number.h); the text is always kept exactly.
struct MetricPoint {
  std::string resource;
  std::string metric;
  std::string text;
  std::optional<double> value;

  // Builds a point whose `value` is parsed from `text` (ParseNumber).
  static MetricPoint FromText(std::string resource, std::string metric, std::string text);
};

// The evaluate stage's result: the target replica count and, for built-in predictive evaluators,
// each model's prediction by model name.
struct Evaluation {
  int64_t target_replicas = 0;
  std::map<std::string, double> predictions;
};

// What the run did. Replica counts are unset when the run failed before knowing them.
struct Decision {
  std::optional<int64_t> current_replicas;
  std::optional<int64_t> raw_target;         // evaluated target, before clamping/stabilizing
  std::optional<int64_t> stabilized_target;  // after clamp and stabilization
  bool applied = false;                      // the /scale subresource was patched
  std::string run_type;                      // "scaler" | "api" | "api_dry_run" | ...
  std::string error;                         // empty when the run succeeded
};

// Everything one run of one autoscaler records at `time`. Every part is optional, so the engine
// may record a run once at its end or stage by stage (each Record call is one transaction).
struct RunRecord {
  std::string autoscaler;  // stable id, "namespace/name"
  TimePoint time;
  std::vector<MetricPoint> metrics;
  std::optional<Evaluation> evaluation;
  std::optional<Decision> decision;
};

// A stored evaluation or decision, as read back.
struct EvaluationRow {
  TimePoint time;
  Evaluation evaluation;
};
struct DecisionRow {
  TimePoint time;
  Decision decision;
};

// One value of a series, as read back. `resource` is set for metric series (useful when a query
// spans every resource of a metric), empty otherwise. For non-metric series `text` is the
// decimal form of `value`.
struct Sample {
  TimePoint time;
  std::optional<double> value;
  std::string text;
  std::string resource;
};

}  // namespace cpa::store
