#include "autoscalers/hpa/hpa_options.h"

#include <cctype>
#include <cmath>

namespace cpa::hpa {
namespace {

using config::ConfigIssues;
using config::JsonReader;

constexpr int32_t kMaxStabilizationWindowSeconds = 3600;
constexpr int32_t kMaxPolicyPeriodSeconds = 1800;

// Go math.Pow10 for the exponents a quantity can carry.
double Pow10(int n) {
  if (n == 0) return 1.0;
  double p = 1.0;
  for (int i = 0; i < std::abs(n); ++i) p *= 10.0;  // exact for |n| <= 22
  return n > 0 ? p : 1.0 / p;
}

std::optional<double> ReadTolerance(JsonReader& r, std::string_view key) {
  const JsonValue* v = r.Get(key);
  if (v == nullptr) return std::nullopt;
  std::string text;
  if (v->IsString()) {
    text.assign(v->GetString(), v->GetStringLength());
  } else if (v->IsNumber()) {
    text = ToJson(*v);
  } else {
    r.issues().Error(r.PathOf(key), fmt::format("must be a number or a quantity such as \"50m\", "
                                                "got {}",
                                                config::Describe(*v)));
    return std::nullopt;
  }
  auto t = ParseApproximateQuantity(text);
  if (!t) {
    r.issues().Error(
        r.PathOf(key),
        fmt::format("must be a number or a quantity such as \"50m\", got \"{}\"", text));
    return std::nullopt;
  }
  if (*t < 0) {
    r.issues().Error(r.PathOf(key), fmt::format("must be >= 0, got {}", text));
    return std::nullopt;
  }
  return t;
}

std::optional<HpaScalingRules> ReadRules(JsonReader& parent, std::string_view key) {
  const JsonValue* v = parent.Get(key);
  if (v == nullptr) return std::nullopt;
  JsonReader r(*v, parent.PathOf(key), parent.issues());
  if (!r.Valid()) return std::nullopt;
  auto& issues = r.issues();
  HpaScalingRules rules;
  if (r.Has("stabilizationWindowSeconds")) {
    int window = 0;
    r.Int("stabilizationWindowSeconds", window);
    if (window < 0 || window > kMaxStabilizationWindowSeconds) {
      issues.Error(r.PathOf("stabilizationWindowSeconds"),
                   fmt::format("must be 0-3600 (seconds), got {}", window));
    }
    rules.stabilization_window_seconds = window;
  } else {
    r.Get("stabilizationWindowSeconds");
  }
  if (r.Has("selectPolicy")) {
    std::string select;
    r.String("selectPolicy", select);
    if (select == "Max") {
      rules.select_policy = SelectPolicy::kMax;
    } else if (select == "Min") {
      rules.select_policy = SelectPolicy::kMin;
    } else if (select == "Disabled") {
      rules.select_policy = SelectPolicy::kDisabled;
    } else {
      issues.Error(r.PathOf("selectPolicy"),
                   fmt::format("must be Max, Min or Disabled, got \"{}\"", select));
    }
  } else {
    r.Get("selectPolicy");
  }
  if (const JsonValue* policies = r.Get("policies")) {
    const std::string path = r.PathOf("policies");
    if (!policies->IsArray()) {
      issues.Error(path,
                   fmt::format("must be a list of policies, got {}", config::Describe(*policies)));
    } else {
      std::vector<ScalingPolicy> list;
      if (policies->Empty()) issues.Error(path, "must specify at least one policy");
      for (rapidjson::SizeType i = 0; i < policies->Size(); ++i) {
        JsonReader p((*policies)[i], fmt::format("{}[{}]", path, i), issues);
        if (!p.Valid()) continue;
        ScalingPolicy policy;
        std::string type;
        p.Required("type");
        p.Required("value");
        p.Required("periodSeconds");
        p.String("type", type);
        int value = 0;
        int period = 0;
        p.Int("value", value);
        p.Int("periodSeconds", period);
        p.Finish();
        if (type == "Pods") {
          policy.type = PolicyType::kPods;
        } else if (type == "Percent") {
          policy.type = PolicyType::kPercent;
        } else if (!type.empty()) {
          issues.Error(p.PathOf("type"), fmt::format("must be Pods or Percent, got \"{}\"", type));
        }
        if (p.Has("value") && value <= 0) {
          issues.Error(p.PathOf("value"), fmt::format("must be > 0, got {}", value));
        }
        if (p.Has("periodSeconds") && (period <= 0 || period > kMaxPolicyPeriodSeconds)) {
          issues.Error(p.PathOf("periodSeconds"),
                       period <= 0 ? fmt::format("must be > 0, got {}", period)
                                   : fmt::format("must be <= 1800, got {}", period));
        }
        policy.value = value;
        policy.period_seconds = period;
        list.push_back(policy);
      }
      rules.policies = std::move(list);
    }
  }
  rules.tolerance = ReadTolerance(r, "tolerance");
  r.Finish();
  return rules;
}

void ReadBehavior(JsonReader& parent, HpaOptions& options) {
  const JsonValue* v = parent.Get("behavior");
  if (v == nullptr) return;
  JsonReader r(*v, parent.PathOf("behavior"), parent.issues());
  if (!r.Valid()) return;
  Behavior behavior;
  behavior.scale_up = ReadRules(r, "scaleUp");
  behavior.scale_down = ReadRules(r, "scaleDown");
  r.Finish();
  options.behavior = std::move(behavior);
}

ScalingRules Resolve(const std::optional<HpaScalingRules>& given, ScalingRules rules) {
  if (!given) return rules;
  if (given->stabilization_window_seconds) {
    rules.stabilization_window_seconds = *given->stabilization_window_seconds;
  }
  if (given->select_policy) rules.select_policy = *given->select_policy;
  if (given->policies) rules.policies = *given->policies;
  if (given->tolerance) rules.tolerance = *given->tolerance;
  return rules;
}

JsonValue RulesToJson(const ScalingRules& rules, JsonAllocator& a) {
  JsonValue out(rapidjson::kObjectType);
  out.AddMember("stabilizationWindowSeconds", rules.stabilization_window_seconds, a);
  out.AddMember("selectPolicy", JsonString(SelectPolicyName(rules.select_policy), a), a);
  JsonValue policies(rapidjson::kArrayType);
  for (const auto& p : rules.policies) {
    JsonValue item(rapidjson::kObjectType);
    item.AddMember("type", JsonString(PolicyTypeName(p.type), a), a);
    item.AddMember("value", p.value, a);
    item.AddMember("periodSeconds", p.period_seconds, a);
    policies.PushBack(item, a);
  }
  out.AddMember("policies", policies, a);
  if (rules.tolerance) out.AddMember("tolerance", *rules.tolerance, a);
  return out;
}

}  // namespace

std::string_view PolicyTypeName(PolicyType type) {
  return type == PolicyType::kPods ? "Pods" : "Percent";
}

std::string_view SelectPolicyName(SelectPolicy policy) {
  switch (policy) {
    case SelectPolicy::kMax:
      return "Max";
    case SelectPolicy::kMin:
      return "Min";
    case SelectPolicy::kDisabled:
      return "Disabled";
  }
  return "Max";
}

ScalingRules ScaleUpRules(const Behavior& behavior) {
  ScalingRules defaults;
  defaults.stabilization_window_seconds = 0;
  defaults.select_policy = SelectPolicy::kMax;
  defaults.policies = {{PolicyType::kPods, 4, 15}, {PolicyType::kPercent, 100, 15}};
  return Resolve(behavior.scale_up, defaults);
}

ScalingRules ScaleDownRules(const Behavior& behavior) {
  ScalingRules defaults;
  defaults.stabilization_window_seconds = kDefaultScaleDownStabilizationSeconds;
  defaults.select_policy = SelectPolicy::kMax;
  defaults.policies = {{PolicyType::kPercent, 100, 15}};
  return Resolve(behavior.scale_down, defaults);
}

std::optional<double> ParseApproximateQuantity(std::string_view text) {
  // [sign] digits [. digits] [e|E [sign] digits] [m]: mantissa * 10^exponent, as Go's
  // Quantity.AsApproximateFloat64 computes it (base * math.Pow10(exponent)).
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  int64_t mantissa = 0;
  int exponent = 0;
  size_t digits = 0;
  auto add_digit = [&](char c) -> bool {
    if (mantissa > (INT64_MAX - 9) / 10) return false;
    mantissa = mantissa * 10 + (c - '0');
    ++digits;
    return true;
  };
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (!add_digit(text[i++])) return std::nullopt;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (!add_digit(text[i++])) return std::nullopt;
      --exponent;
    }
  }
  if (digits == 0) return std::nullopt;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) exp_negative = text[i++] == '-';
    int e = 0;
    size_t exp_digits = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && e < 1000) {
      e = e * 10 + (text[i++] - '0');
      ++exp_digits;
    }
    if (exp_digits == 0) return std::nullopt;
    exponent += exp_negative ? -e : e;
  } else if (i < text.size() && text[i] == 'm') {
    ++i;
    exponent -= 3;
  }
  if (i != text.size() || exponent < -30 || exponent > 30) return std::nullopt;
  // Trailing zeros of the mantissa move into the exponent, as a canonical Quantity holds them.
  while (mantissa != 0 && mantissa % 10 == 0 && exponent < 0) {
    mantissa /= 10;
    ++exponent;
  }
  double base = static_cast<double>(negative ? -mantissa : mantissa);
  return exponent == 0 ? base : base * Pow10(exponent);
}

config::MetricSpec DefaultCpuMetric() {
  config::MetricSpec spec;
  spec.type = config::MetricSourceType::kResource;
  config::ResourceMetricSource source;
  source.name = "cpu";
  source.target.type = config::MetricTargetType::kUtilization;
  source.target.average_utilization = 80;
  spec.resource = source;
  return spec;
}

void ReadHpaFields(JsonReader& r, HpaOptions& options) {
  auto& issues = r.issues();
  if (const JsonValue* metrics = r.Get("metrics")) {
    const std::string path = r.PathOf("metrics");
    if (!metrics->IsArray()) {
      issues.Error(path,
                   fmt::format("must be a list of MetricSpec, got {}", config::Describe(*metrics)));
    } else {
      if (metrics->Empty()) issues.Error(path, "must list at least one metric when given");
      for (rapidjson::SizeType i = 0; i < metrics->Size(); ++i) {
        auto spec = config::ParseMetricSpec((*metrics)[i], fmt::format("{}[{}]", path, i), issues);
        if (spec) options.metrics.push_back(*spec);
      }
    }
  }
  r.Double("tolerance", options.tolerance);
  if (options.tolerance < 0 || !std::isfinite(options.tolerance)) {
    issues.Error(r.PathOf("tolerance"), fmt::format("must be >= 0, got {}", options.tolerance));
  }
  ReadBehavior(r, options);
  for (auto [key, out] :
       {std::pair{"cpuInitializationPeriod", &options.cpu_initialization_period_s},
        std::pair{"initialReadinessDelay", &options.initial_readiness_delay_s}}) {
    if (!r.Has(key)) {
      r.Get(key);
      continue;
    }
    int64_t seconds = 0;
    r.Int(key, seconds);
    if (seconds < 0)
      issues.Error(r.PathOf(key), fmt::format("must be >= 0 (seconds), got {}", seconds));
    *out = seconds;
  }
  r.Double("scaleUpLimitFactor", options.scale_up_limit_factor);
  if (!(options.scale_up_limit_factor > 0) || !std::isfinite(options.scale_up_limit_factor)) {
    issues.Error(r.PathOf("scaleUpLimitFactor"),
                 fmt::format("must be > 0, got {}", options.scale_up_limit_factor));
  }
  r.Double("scaleUpLimitMinimum", options.scale_up_limit_minimum);
  if (!(options.scale_up_limit_minimum >= 0) || !std::isfinite(options.scale_up_limit_minimum)) {
    issues.Error(r.PathOf("scaleUpLimitMinimum"),
                 fmt::format("must be >= 0, got {}", options.scale_up_limit_minimum));
  }
}

HpaOptions ParseHpaOptions(const JsonValue* block, const std::string& path, ConfigIssues& issues) {
  HpaOptions options;
  if (block == nullptr) return options;
  JsonReader r(*block, path, issues);
  if (!r.Valid()) return options;
  ReadHpaFields(r, options);
  r.Finish();
  return options;
}

HpaOptions WithConfigDefaults(HpaOptions options, const config::Config& config) {
  if (options.metrics.empty()) {
    options.metrics = config.kubernetes_metric_specs;
    if (options.metrics.empty()) options.metrics.push_back(DefaultCpuMetric());
  }
  if (!options.cpu_initialization_period_s) {
    options.cpu_initialization_period_s = config.cpu_initialization_period_s;
  }
  if (!options.initial_readiness_delay_s) {
    options.initial_readiness_delay_s = config.initial_readiness_delay_s;
  }
  options.min_replicas = config.min_replicas;
  options.max_replicas = config.max_replicas;
  options.downscale_stabilization_s = config.downscale_stabilization_s;
  return options;
}

Result<HpaOptions> LoadHpaOptions(const std::string& options_json, const std::string& path,
                                  const config::Config& config) {
  ConfigIssues issues;
  HpaOptions options;
  if (!options_json.empty()) {
    auto doc = ParseJson(options_json);
    if (!doc) return std::unexpected(doc.error().WithContext(path));
    options = ParseHpaOptions(&*doc, path, issues);
  }
  if (!issues.errors.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, issues.errors.front().ToString());
  }
  return WithConfigDefaults(std::move(options), config);
}

JsonValue HpaOptionsToJson(const HpaOptions& options, JsonAllocator& a) {
  JsonValue out(rapidjson::kObjectType);
  JsonValue metrics(rapidjson::kArrayType);
  for (const auto& m : options.metrics) metrics.PushBack(config::MetricSpecToJson(m, a), a);
  out.AddMember("metrics", metrics, a);
  out.AddMember("tolerance", options.tolerance, a);
  if (options.behavior) {
    JsonValue behavior(rapidjson::kObjectType);
    behavior.AddMember("scaleUp", RulesToJson(ScaleUpRules(*options.behavior), a), a);
    behavior.AddMember("scaleDown", RulesToJson(ScaleDownRules(*options.behavior), a), a);
    out.AddMember("behavior", behavior, a);
  }
  if (options.cpu_initialization_period_s) {
    out.AddMember("cpuInitializationPeriod", *options.cpu_initialization_period_s, a);
  }
  if (options.initial_readiness_delay_s) {
    out.AddMember("initialReadinessDelay", *options.initial_readiness_delay_s, a);
  }
  out.AddMember("scaleUpLimitFactor", options.scale_up_limit_factor, a);
  out.AddMember("scaleUpLimitMinimum", options.scale_up_limit_minimum, a);
  return out;
}

}  // namespace cpa::hpa
