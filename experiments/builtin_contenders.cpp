#include "experiments/builtin_contenders.h"

#include <mutex>

#include <fmt/format.h>

#include "autoscalers/hpa/hpa_evaluator.h"
#include "engine/config/method_types.h"
#include "engine/kubernetes_metrics/gatherer.h"
#include "experiments/legacy_phpa.h"

namespace cpa::experiments {
namespace {

// The metric stage of contenders whose evaluate method gathers for itself: nothing to gather.
class NoMetric final : public engine::Method {
 public:
  Result<std::string> Call(std::string_view, std::stop_token) override { return std::string(); }
};

// The HPA's raw recommendation (before normalization) through the hpa evaluator's algorithm:
// gathers the HPA's metrics from the simulated cluster with the engine's Kubernetes gatherer and
// runs hpa::EvaluateHpa. {"targetReplicas": recommendation}; no valid metric is an error.
class HpaRecommendation final : public engine::Method {
 public:
  HpaRecommendation(hpa::HpaOptions options, config::Config config, const RunEnvironment& env)
      : options_(std::move(options)),
        config_(std::move(config)),
        api_(env.api),
        cluster_(env.cluster),
        clock_(env.clock),
        plan_(hpa::PlanOf(options_)) {}

  Result<std::string> Call(std::string_view, std::stop_token) override {
    auto target = cluster_.GetTarget(*config_.scale_target_ref, config_.namespace_);
    if (!target) return std::unexpected(target.error());
    const TimePoint now = clock_.Now();
    std::vector<engine::GatheredMetric> gathered;
    for (const auto& spec : plan_.specs) {
      engine::GatheredMetric g{spec, std::nullopt, std::nullopt};
      auto m = engine::GatherKubernetesMetric(api_, spec, config_.namespace_, *target,
                                              plan_.periods, now);
      if (m) {
        g.metric = std::move(*m);
      } else {
        g.error = m.error();
      }
      gathered.push_back(std::move(g));
    }
    auto decision = hpa::EvaluateHpa(options_, *target, gathered, now, history_, true);
    if (!decision) return std::unexpected(decision.error());
    if (!decision->recommended) {
      return MakeErrorF(ErrorCode::kUnavailable, "no HPA recommendation: {}", decision->reason);
    }
    return fmt::format("{{\"targetReplicas\": {}}}", decision->recommendation);
  }

 private:
  hpa::HpaOptions options_;
  config::Config config_;
  kube::Api& api_;
  engine::Cluster& cluster_;
  Clock& clock_;
  engine::GatherPlan plan_;
  hpa::InMemoryHpaHistory history_;
};

class LegacyPhpaContender final : public Contender {
 public:
  LegacyPhpaContender(std::string name, AutoscalerSettings settings)
      : Contender(std::move(name)), settings_(settings) {}
  std::string Describe() const override {
    return fmt::format(
        "the Predictive HPA as it ran in 2020: every run the HPA's raw value is stored and "
        "Holt-Winters (additive, alpha {}, beta {}, gamma {}, season {} runs, {} seasons kept) "
        "predicts one run ahead, 0 until a season is stored; target max(HPA, forecast), clamped, "
        "{} s downscale stabilization, no scale-up limit",
        settings_.alpha, settings_.beta, settings_.gamma, settings_.season_length,
        settings_.stored_seasons, settings_.downscale_stabilization_s);
  }
  Result<ContenderSetup> Setup(const RunEnvironment& env) const override {
    auto c = LoadContenderConfig(HpaConfigText(settings_), "phpa-2020");
    if (!c) return std::unexpected(c.error());
    auto options = hpa::LoadHpaOptions(c->evaluate.options_json, "evaluate.hpa", *c);
    if (!options) return std::unexpected(options.error());
    ContenderSetup setup;
    setup.config = *c;
    setup.metric = std::make_unique<NoMetric>();
    setup.evaluate = std::make_unique<LegacyPhpaMethod>(
        std::make_unique<HpaRecommendation>(*options, *c, env),
        LegacyPhpaOptions{settings_.alpha, settings_.beta, settings_.gamma, settings_.season_length,
                          settings_.stored_seasons});
    return setup;
  }

 private:
  AutoscalerSettings settings_;
};

std::string MetricsYaml(const AutoscalerSettings& s) {
  return fmt::format(
      "    metrics:\n    - type: Resource\n      resource: {{name: cpu, target: {{type: "
      "Utilization, averageUtilization: {}}}}}\n",
      s.target_utilization);
}

std::string CommonYaml(const AutoscalerSettings& s) {
  return fmt::format(
      "scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}\n"
      "interval: {}\nminReplicas: {}\nmaxReplicas: {}\ndownscaleStabilization: {}\n"
      "cpuInitializationPeriod: {}\ninitialReadinessDelay: {}\n",
      s.interval_s * 1000, s.min_replicas, s.max_replicas, s.downscale_stabilization_s,
      s.cpu_initialization_period_s, s.initial_readiness_delay_s);
}

bool Available(std::string_view type) {
  EnsureBuiltinEvaluators();
  return config::FindMethodType(type) != nullptr;
}

}  // namespace

void EnsureBuiltinEvaluators() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (config::FindMethodType("hpa") == nullptr) (void)hpa::RegisterHpaMethodType();
  });
}

std::string HpaConfigText(const AutoscalerSettings& s) {
  return CommonYaml(s) + "evaluate:\n  type: hpa\n  hpa:\n" + MetricsYaml(s) +
         fmt::format("    tolerance: {}\n", s.tolerance);
}

std::vector<std::string> BuiltinContenderNames() {
  return {"hpa-2020", "phpa-2020", "phpa", "phpa-fitted", "phpa-load"};
}

std::vector<std::string> DefaultContenderNames() {
  std::vector<std::string> names = {"hpa-2020", "phpa-2020"};
  if (Available("phpa")) {
    for (const char* n : {"phpa", "phpa-fitted", "phpa-load"}) names.push_back(n);
  }
  return names;
}

Result<std::unique_ptr<Contender>> MakeBuiltinContender(const std::string& builtin,
                                                        const std::string& name,
                                                        const Scenario& scenario) {
  EnsureBuiltinEvaluators();
  const AutoscalerSettings& s = scenario.autoscaler;
  if (builtin == "hpa-2020") {
    return std::unique_ptr<Contender>(std::make_unique<ConfigContender>(
        name, HpaConfigText(s), "hpa-2020",
        fmt::format("the Kubernetes HPA as it ran in 2020: CPU {}% utilization, tolerance {}, "
                    "{} s downscale stabilization, scale-up limit max(2 x current, 4), no "
                    "behavior",
                    s.target_utilization, s.tolerance, s.downscale_stabilization_s)));
  }
  if (builtin == "phpa-2020") {
    return std::unique_ptr<Contender>(std::make_unique<LegacyPhpaContender>(name, s));
  }
  for (const auto& known : BuiltinContenderNames()) {
    if (builtin == known) {
      return MakeErrorF(ErrorCode::kInvalidArgument,
                        "contender {}: built-in {} needs the phpa evaluator, which this build "
                        "does not have",
                        name, builtin);
    }
  }
  return MakeErrorF(ErrorCode::kInvalidArgument,
                    "contender {}: unknown built-in \"{}\"; known: hpa-2020, phpa-2020, phpa, "
                    "phpa-fitted, phpa-load",
                    name, builtin);
}

}  // namespace cpa::experiments
