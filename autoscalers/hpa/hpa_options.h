// The options of the built-in HPA evaluator (`evaluate.hpa: {...}`), parsed and validated.
//
// STABLE API (reused by the predictive evaluator `phpa` on its own `phpa:` block): HpaOptions,
// ReadHpaFields, ParseHpaOptions, WithConfigDefaults and the Behavior helpers keep their names
// and meaning; fields may be added. Field names and rules are the Kubernetes API's
// (autoscaling/v2 HorizontalPodAutoscalerBehavior, incl. the 1.33+ per-direction `tolerance`);
// defaults are upstream's (API defaulting + controller flags), except that the legacy window
// comes from the CPA's top-level `downscaleStabilization`. Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "engine/config/config.h"
#include "engine/config/config_issues.h"
#include "engine/config/json_reader.h"
#include "engine/config/metric_spec.h"

namespace cpa::hpa {

enum class PolicyType { kPods, kPercent };
enum class SelectPolicy { kMax, kMin, kDisabled };
std::string_view PolicyTypeName(PolicyType type);        // "Pods", "Percent"
std::string_view SelectPolicyName(SelectPolicy policy);  // "Max", "Min", "Disabled"

struct ScalingPolicy {
  PolicyType type = PolicyType::kPods;
  int32_t value = 0;           // > 0
  int32_t period_seconds = 0;  // 1..1800
};

// HPAScalingRules as given: unset fields take upstream defaults (ScaleUpRules/ScaleDownRules).
struct HpaScalingRules {
  std::optional<int32_t> stabilization_window_seconds;  // 0..3600
  std::optional<SelectPolicy> select_policy;
  std::optional<std::vector<ScalingPolicy>> policies;  // non-empty when given
  std::optional<double> tolerance;                     // >= 0 (a Quantity: 0.05, "50m")
};

struct Behavior {
  std::optional<HpaScalingRules> scale_up;
  std::optional<HpaScalingRules> scale_down;
};

// Rules with every default applied.
struct ScalingRules {
  int32_t stabilization_window_seconds = 0;
  SelectPolicy select_policy = SelectPolicy::kMax;
  std::vector<ScalingPolicy> policies;
  std::optional<double> tolerance;  // unset: the symmetric `tolerance`
};

inline constexpr int32_t kDefaultScaleDownStabilizationSeconds = 300;

// Upstream defaults: scaleUp = {window 0, Max, [Pods 4 / 15 s, Percent 100 / 15 s]};
// scaleDown = {window 300 s, Max, [Percent 100 / 15 s]}. Given fields replace defaults whole.
ScalingRules ScaleUpRules(const Behavior& behavior);
ScalingRules ScaleDownRules(const Behavior& behavior);

struct HpaOptions {
  // MetricSpecs; empty after parsing = not given (WithConfigDefaults fills them).
  std::vector<config::MetricSpec> metrics;
  double tolerance = 0.1;  // symmetric; behavior.scaleUp/scaleDown.tolerance override per side
  std::optional<Behavior> behavior;                    // unset: legacy normalization
  std::optional<int64_t> cpu_initialization_period_s;  // unset: top-level key
  std::optional<int64_t> initial_readiness_delay_s;    // unset: top-level key
  double scale_up_limit_factor = 2.0;                  // legacy: max(factor * current, minimum)
  double scale_up_limit_minimum = 4.0;
  // From the top-level config (WithConfigDefaults), not keys of the block:
  int min_replicas = 1;
  int max_replicas = 10;
  int64_t downscale_stabilization_s = 0;  // the legacy window (top-level downscaleStabilization)
};

// Reads the HPA keys of one object (marks them known; errors under the reader's path). The phpa
// calls it on its own block, then reads its own keys and calls reader.Finish().
void ReadHpaFields(config::JsonReader& reader, HpaOptions& options);
// The whole block (`block` null = {}); unknown keys warn.
HpaOptions ParseHpaOptions(const JsonValue* block, const std::string& path,
                           config::ConfigIssues& issues);
// Fills what the block left to the top-level config: metrics (kubernetesMetricSpecs, else CPU
// 80% utilization), cpuInitializationPeriod, initialReadinessDelay, min/maxReplicas and the
// legacy downscale window.
HpaOptions WithConfigDefaults(HpaOptions options, const config::Config& config);
// Parses MethodConfig::options_json (already validated by the loader) and applies defaults.
Result<HpaOptions> LoadHpaOptions(const std::string& options_json, const std::string& path,
                                  const config::Config& config);

// The 80% CPU utilization spec (the HPA's default).
config::MetricSpec DefaultCpuMetric();

// Go resource.Quantity.AsApproximateFloat64 of a decimal text ("0.05", "50m", "1e-2").
std::optional<double> ParseApproximateQuantity(std::string_view text);

// The block in the API's camelCase shape (effective options), for printing.
JsonValue HpaOptionsToJson(const HpaOptions& options, JsonAllocator& a);

}  // namespace cpa::hpa
