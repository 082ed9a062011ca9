#include "autoscalers/hpa/normalize.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cpa::hpa {
namespace {

constexpr int64_t kMaxInt32 = std::numeric_limits<int32_t>::max();
constexpr int64_t kMinInt32 = std::numeric_limits<int32_t>::min();

int32_t ClampInt32(int64_t v) { return static_cast<int32_t>(std::clamp(v, kMinInt32, kMaxInt32)); }

// Go's int32(f) for the values these formulas produce (truncation, clamped to the int32 range).
int32_t TruncInt32(double f) {
  if (std::isnan(f)) return 0;
  if (f >= static_cast<double>(kMaxInt32)) return static_cast<int32_t>(kMaxInt32);
  if (f <= static_cast<double>(kMinInt32)) return static_cast<int32_t>(kMinInt32);
  return static_cast<int32_t>(f);
}

Condition Make(std::string type, bool status, std::string reason, std::string message) {
  return Condition{std::move(type), status ? "True" : "False", std::move(reason),
                   std::move(message)};
}

Duration Seconds(int64_t s) { return std::chrono::seconds(s); }

// The controller records the first-seen count an instant before it computes the run's windows
// (two time.Now() calls), so a 0 s window never holds it; we place it one store tick (1 ms) early.
constexpr Duration kInitialRecommendationLead = std::chrono::milliseconds(1);

// Sum of the changes strictly after now - period.
int64_t ChangeInPeriod(const std::vector<TimedReplicas>& events, int32_t period_seconds,
                       TimePoint now) {
  const TimePoint cutoff = now - Seconds(period_seconds);
  int64_t sum = 0;
  for (const auto& e : events) {
    if (e.time > cutoff) sum += e.replicas;
  }
  return sum;
}

int32_t ScaleUpLimitWithRules(int current, const std::vector<TimedReplicas>& up,
                              const std::vector<TimedReplicas>& down, const ScalingRules& rules,
                              TimePoint now) {
  if (rules.select_policy == SelectPolicy::kDisabled) return current;
  const bool min_policy = rules.select_policy == SelectPolicy::kMin;
  int64_t result = min_policy ? kMaxInt32 : kMinInt32;
  for (const auto& policy : rules.policies) {
    int64_t added = ChangeInPeriod(up, policy.period_seconds, now);
    int64_t deleted = ChangeInPeriod(down, policy.period_seconds, now);
    int64_t start = ClampInt32(current - added + deleted);
    int64_t proposed = 0;
    if (policy.type == PolicyType::kPods) {
      proposed = ClampInt32(start + policy.value);
    } else {
      proposed = TruncInt32(
          std::ceil(static_cast<double>(start) * (1 + static_cast<double>(policy.value) / 100)));
    }
    result = min_policy ? std::min(result, proposed) : std::max(result, proposed);
  }
  return ClampInt32(result);
}

int32_t ScaleDownLimitWithRules(int current, const std::vector<TimedReplicas>& up,
                                const std::vector<TimedReplicas>& down, const ScalingRules& rules,
                                TimePoint now) {
  if (rules.select_policy == SelectPolicy::kDisabled) return current;
  const bool min_policy = rules.select_policy == SelectPolicy::kMin;
  int64_t result = min_policy ? kMinInt32 : kMaxInt32;
  for (const auto& policy : rules.policies) {
    int64_t added = ChangeInPeriod(up, policy.period_seconds, now);
    int64_t deleted = ChangeInPeriod(down, policy.period_seconds, now);
    int64_t start = ClampInt32(current - added + deleted);
    int64_t proposed = 0;
    if (policy.type == PolicyType::kPods) {
      proposed = ClampInt32(start - policy.value);
    } else {
      proposed =
          TruncInt32(static_cast<double>(start) * (1 - static_cast<double>(policy.value) / 100));
    }
    result = min_policy ? std::max(result, proposed) : std::min(result, proposed);
  }
  return ClampInt32(result);
}

int32_t LongestPeriod(const ScalingRules& rules) {
  int32_t longest = 0;
  for (const auto& p : rules.policies) longest = std::max(longest, p.period_seconds);
  return longest;
}

// Splits scale events into scale-ups (+) and scale-downs (as positive counts).
void SplitEvents(const std::vector<TimedReplicas>& events, std::vector<TimedReplicas>& up,
                 std::vector<TimedReplicas>& down) {
  for (const auto& e : events) {
    if (e.replicas > 0) up.push_back(e);
    if (e.replicas < 0) down.push_back({e.time, -e.replicas});
  }
}

Result<Normalization> NormalizeLegacy(const NormalizeInput& in, const HpaOptions& o,
                                      HpaHistory& history, bool record, bool virtual_initial) {
  Normalization n;
  const TimePoint cutoff = in.now - Seconds(o.downscale_stabilization_s);
  auto recs = history.Recommendations(cutoff);
  if (!recs) return std::unexpected(recs.error());
  if (virtual_initial) recs->push_back({in.now - kInitialRecommendationLead, in.current_replicas});
  int max_rec = in.recommendation;
  for (const auto& r : *recs) {
    if (r.time >= cutoff) max_rec = std::max(max_rec, r.replicas);
  }
  if (record) CPA_RETURN_IF_ERROR(history.AddRecommendation(in.now, in.recommendation));
  n.stabilized = max_rec;
  n.scale_down_window_max = max_rec;
  n.able_to_scale =
      max_rec != in.recommendation
          ? Make("AbleToScale", true, "ScaleDownStabilized",
                 "recent recommendations were higher than current one, applying the highest "
                 "recent recommendation")
          : Make("AbleToScale", true, "ReadyForNewScale", "recommended size matches current size");
  // convertDesiredReplicasWithRules
  const int32_t scale_up_limit =
      TruncInt32(std::max(o.scale_up_limit_factor * static_cast<double>(in.current_replicas),
                          o.scale_up_limit_minimum));
  n.rate_limit = scale_up_limit;
  int64_t maximum = 0;
  std::string reason;
  std::string message;
  if (o.max_replicas > scale_up_limit) {
    maximum = scale_up_limit;
    reason = "ScaleUpLimit";
    message = "the desired replica count is increasing faster than the maximum scale rate";
  } else {
    maximum = o.max_replicas;
    reason = "TooManyReplicas";
    message = "the desired replica count is more than the maximum replica count";
  }
  int desired = max_rec;
  if (max_rec < o.min_replicas) {
    desired = o.min_replicas;
    reason = "TooFewReplicas";
    message = "the desired replica count is less than the minimum replica count";
  } else if (max_rec > maximum) {
    desired = static_cast<int>(maximum);
  } else {
    reason = "DesiredWithinRange";
    message = "the desired count is within the acceptable range";
  }
  n.desired_replicas = desired;
  n.scaling_limited = Make("ScalingLimited", desired != max_rec, reason, message);
  return n;
}

Result<Normalization> NormalizeWithBehavior(const NormalizeInput& in, const HpaOptions& o,
                                            HpaHistory& history, bool record,
                                            bool virtual_initial) {
  Normalization n;
  const ScalingRules up_rules = ScaleUpRules(*o.behavior);
  const ScalingRules down_rules = ScaleDownRules(*o.behavior);
  // stabilizeRecommendationWithBehaviors
  const TimePoint up_cutoff = in.now - Seconds(up_rules.stabilization_window_seconds);
  const TimePoint down_cutoff = in.now - Seconds(down_rules.stabilization_window_seconds);
  auto recs = history.Recommendations(std::min(up_cutoff, down_cutoff));
  if (!recs) return std::unexpected(recs.error());
  if (virtual_initial) recs->push_back({in.now - kInitialRecommendationLead, in.current_replicas});
  int up_rec = in.recommendation;
  int down_rec = in.recommendation;
  for (const auto& r : *recs) {
    if (r.time > up_cutoff) up_rec = std::min(up_rec, r.replicas);
    if (r.time > down_cutoff) down_rec = std::max(down_rec, r.replicas);
  }
  int stabilized = in.current_replicas;
  if (stabilized < up_rec) stabilized = up_rec;
  if (stabilized > down_rec) stabilized = down_rec;
  if (record) CPA_RETURN_IF_ERROR(history.AddRecommendation(in.now, in.recommendation));
  n.stabilized = stabilized;
  n.scale_up_window_min = up_rec;
  n.scale_down_window_max = down_rec;
  if (stabilized != in.recommendation) {
    n.able_to_scale =
        in.recommendation >= in.current_replicas
            ? Make("AbleToScale", true, "ScaleUpStabilized",
                   "recent recommendations were lower than current one, applying the lowest "
                   "recent recommendation")
            : Make("AbleToScale", true, "ScaleDownStabilized",
                   "recent recommendations were higher than current one, applying the highest "
                   "recent recommendation");
  } else {
    n.able_to_scale =
        Make("AbleToScale", true, "ReadyForNewScale", "recommended size matches current size");
  }
  // convertDesiredReplicasWithBehaviorRate
  int desired = stabilized;
  std::string reason = "DesiredWithinRange";
  std::string message = "the desired count is within the acceptable range";
  if (stabilized != in.current_replicas) {
    const int32_t longest = std::max(LongestPeriod(up_rules), LongestPeriod(down_rules));
    auto events = history.ScaleEvents(in.now - Seconds(longest));
    if (!events) return std::unexpected(events.error());
    std::vector<TimedReplicas> up_events;
    std::vector<TimedReplicas> down_events;
    SplitEvents(*events, up_events, down_events);
    if (stabilized > in.current_replicas) {
      int32_t limit =
          ScaleUpLimitWithRules(in.current_replicas, up_events, down_events, up_rules, in.now);
      if (limit < in.current_replicas) limit = in.current_replicas;
      n.rate_limit = limit;
      int maximum = o.max_replicas;
      std::string r;
      std::string m;
      if (maximum > limit) {
        maximum = limit;
        r = "ScaleUpLimit";
        m = "the desired replica count is increasing faster than the maximum scale rate";
      } else {
        r = "TooManyReplicas";
        m = "the desired replica count is more than the maximum replica count";
      }
      if (stabilized > maximum) {
        desired = maximum;
        reason = r;
        message = m;
      }
    } else {
      int32_t limit =
          ScaleDownLimitWithRules(in.current_replicas, up_events, down_events, down_rules, in.now);
      if (limit > in.current_replicas) limit = in.current_replicas;
      n.rate_limit = limit;
      int minimum = o.min_replicas;
      std::string r;
      std::string m;
      if (minimum < limit) {
        minimum = limit;
        r = "ScaleDownLimit";
        m = "the desired replica count is decreasing faster than the maximum scale rate";
      } else {
        r = "TooFewReplicas";
        m = "the desired replica count is less than the minimum replica count";
      }
      if (stabilized < minimum) {
        desired = minimum;
        reason = r;
        message = m;
      }
    }
  }
  n.desired_replicas = desired;
  n.scaling_limited = Make("ScalingLimited", desired != stabilized, reason, message);
  return n;
}

}  // namespace

Result<bool> EnsureInitialRecommendation(HpaHistory& history, int current_replicas, TimePoint now,
                                         bool record) {
  auto has = history.HasRecommendations();
  if (!has) return std::unexpected(has.error());
  if (*has) return false;
  if (record) {
    CPA_RETURN_IF_ERROR(
        history.AddInitialRecommendation(now - kInitialRecommendationLead, current_replicas));
  }
  return true;
}

Result<Normalization> Normalize(const NormalizeInput& input, const HpaOptions& options,
                                HpaHistory& history, bool record, bool virtual_initial) {
  if (options.behavior) {
    return NormalizeWithBehavior(input, options, history, record, virtual_initial);
  }
  return NormalizeLegacy(input, options, history, record, virtual_initial);
}

std::optional<RangeDecision> CheckCurrentReplicas(int current, const HpaOptions& o) {
  RangeDecision d;
  if (current == 0 && o.min_replicas != 0) {
    d.desired_replicas = 0;
    d.disabled = true;
    d.scaling_active = Make("ScalingActive", false, "ScalingDisabled",
                            "scaling is disabled since the replica count of the target is zero");
    return d;
  }
  if (current > o.max_replicas) {
    d.desired_replicas = o.max_replicas;
    d.reason = "Current number of replicas above Spec.MaxReplicas";
    return d;
  }
  if (current < o.min_replicas) {
    d.desired_replicas = o.min_replicas;
    d.reason = "Current number of replicas below Spec.MinReplicas";
    return d;
  }
  return std::nullopt;
}

JsonValue ConditionToJson(const Condition& c, JsonAllocator& a) {
  JsonValue out(rapidjson::kObjectType);
  out.AddMember("type", JsonString(c.type, a), a);
  out.AddMember("status", JsonString(c.status, a), a);
  out.AddMember("reason", JsonString(c.reason, a), a);
  out.AddMember("message", JsonString(c.message, a), a);
  return out;
}

}  // namespace cpa::hpa
