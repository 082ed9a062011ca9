// The HPA's normalization of a recommendation (upstream horizontal.go): stabilization windows,
// rate limits and min/max clamping, with the conditions the real controller sets.
//
// STABLE API (the `phpa` applies it to its own combined recommendation). Without `behavior`:
// the legacy rules — the downscale stabilization window (max of the recommendations at or after
// now - downscaleStabilization), then the scale-up limit max(scaleUpLimitFactor * current,
// scaleUpLimitMinimum) and [min, max]. With `behavior`: both stabilization windows
// (recommendations strictly after the cutoff), then the Pods/Percent policies of the direction
// over the scale events of each policy's period, selectPolicy Max/Min/Disabled, and [min, max].
// Every call with `record` adds the recommendation to the history (as the HPA does on every
// reconcile that computed one). Pure apart from the history; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "autoscalers/hpa/hpa_history.h"
#include "autoscalers/hpa/hpa_options.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/json.h"

namespace cpa::hpa {

// A HorizontalPodAutoscalerCondition: type AbleToScale | ScalingActive | ScalingLimited.
struct Condition {
  std::string type;
  std::string status;  // "True" | "False"
  std::string reason;
  std::string message;
};

struct NormalizeInput {
  int current_replicas = 0;  // scale.spec.replicas
  int recommendation = 0;    // the pre-normalized desired replicas
  TimePoint now;
};

struct Normalization {
  int desired_replicas = 0;   // the result
  int stabilized = 0;         // after the window(s), before the rate limits and [min, max]
  Condition able_to_scale;    // ReadyForNewScale | ScaleUpStabilized | ScaleDownStabilized
  Condition scaling_limited;  // DesiredWithinRange | TooManyReplicas | TooFewReplicas |
                              // ScaleUpLimit | ScaleDownLimit
  // Audit: the window bounds that applied and the rate limit of the direction, when computed.
  std::optional<int> scale_up_window_min;    // behavior: lowest recent recommendation
  std::optional<int> scale_down_window_max;  // highest recent recommendation
  std::optional<int> rate_limit;             // scale-up limit or scale-down limit
};

// The first time a target is seen the HPA records its current replicas as a recommendation, an
// instant before the run's own (we use now - 1 ms), so a 0 s window does not hold it. Records it
// (when `record`) if the history has none; returns whether this run is that first.
Result<bool> EnsureInitialRecommendation(HpaHistory& history, int current_replicas, TimePoint now,
                                         bool record);

// Normalizes `input.recommendation`. `initial` (from EnsureInitialRecommendation when not
// recording) adds {current, now} as a recommendation that was not written.
Result<Normalization> Normalize(const NormalizeInput& input, const HpaOptions& options,
                                HpaHistory& history, bool record, bool virtual_initial = false);

// Before any metric is read (upstream reconcileAutoscaler): a target at 0 replicas with
// minReplicas != 0 has autoscaling disabled; one outside [min, max] is brought back without
// normalization. nullopt when the metrics decide.
struct RangeDecision {
  int desired_replicas = 0;
  bool disabled = false;
  std::string reason;  // "Current number of replicas above Spec.MaxReplicas", ...
  std::optional<Condition> scaling_active;  // ScalingDisabled when disabled
};
std::optional<RangeDecision> CheckCurrentReplicas(int current_replicas, const HpaOptions& options);

JsonValue ConditionToJson(const Condition& c, JsonAllocator& a);

}  // namespace cpa::hpa
