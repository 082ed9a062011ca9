// How queries name a series and a time range.
//
// Window is half-open, [from, to), at millisecond resolution: a sub-millisecond `from` rounds down
// and `to` rounds up, so the window covers every millisecond it touches. Window::Last(now, d) is
// the window the stabilization rules need: every instant strictly after `now - d` up to and
// including `now` (a record exactly `d` old has expired, as in the Kubernetes HPA and the original
// CPA). Value types; thread-safe to share.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/clock.h"

namespace cpa::store {

struct Window {
  TimePoint from;  // inclusive
  TimePoint to;    // exclusive

  // (now - d, now]
  static Window Last(TimePoint now, Duration d);
  // Every instant the store can hold.
  static Window All();
};

// Which numbers of an autoscaler form the series.
enum class SeriesKind {
  kMetric,                    // metric points of (resource, name); resource empty = every resource
  kEvaluationTarget,          // evaluations' target replicas
  kPrediction,                // one model's prediction (name = model name)
  kDecisionCurrent,           // decisions' current replicas
  kDecisionRawTarget,         // decisions' raw (evaluated) target
  kDecisionStabilizedTarget,  // decisions' stabilized target
};

struct SeriesRef {
  std::string autoscaler;
  SeriesKind kind = SeriesKind::kMetric;
  std::string resource;  // kMetric only; empty = all resources of the metric
  std::string name;      // metric name (kMetric) or model name (kPrediction)

  static SeriesRef Metric(std::string autoscaler, std::string resource, std::string metric);
  static SeriesRef Of(std::string autoscaler, SeriesKind kind);
};

// A window, optionally cut to its newest `last` rows (returned oldest first all the same).
struct Query {
  Window window = Window::All();
  std::size_t last = 0;  // 0 = every row of the window
};

enum class Extreme { kMax, kMin };

// "metric", "evaluation", "prediction", "current", "raw-target", "stabilized-target"
std::string_view SeriesKindName(SeriesKind kind);

// Milliseconds since the epoch, rounded down (ToMillis) or up (ToMillisCeil); clamped to the range
// a TimePoint can hold.
int64_t ToMillis(TimePoint t);
int64_t ToMillisCeil(TimePoint t);
TimePoint FromMillis(int64_t ms);

}  // namespace cpa::store
