#include "experiments/builtin_contenders.h"

#include <cmath>
#include <mutex>

#include <fmt/format.h>

#include "autoscalers/hpa/hpa_evaluator.h"
#include "autoscalers/phpa/phpa_evaluator.h"
#include "autoscalers/phpa/predictor.h"
#include "autoscalers/phpa/series_source.h"
#include "autoscalers/phpa/tune.h"
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

struct PhpaModel {
  double alpha, beta, gamma;
  int look_ahead;
  std::string learn;  // "hpaReplicas" | "load"
};

std::string PhpaConfigText(const AutoscalerSettings& s, const PhpaModel& m) {
  return CommonYaml(s) + "evaluate:\n  type: phpa\n  phpa:\n" + MetricsYaml(s) +
         fmt::format(
             "    tolerance: {}\n    decisionType: maximum\n    learn: {}\n    models:\n"
             "    - type: HoltWinters\n      name: daily\n      perSyncPeriod: 1\n"
             "      holtWinters:\n        alpha: {}\n        beta: {}\n        gamma: {}\n"
             "        trend: additive\n        seasonal: additive\n        initializationMethod: "
             "heuristic\n"
             "        seasonalPeriods: {}\n        storedSeasons: {}\n        lookAhead: {}\n",
             s.tolerance, m.learn, m.alpha, m.beta, m.gamma, s.season_length, s.stored_seasons,
             m.look_ahead);
}

// A pod start-up (95th percentile) plus the metrics delay (a scrape period and its rate
// window), in runs: how far ahead a forecast must look for the pod to be serving in time.
int LeadRuns(const Scenario& scenario) {
  const auto& c = scenario.cluster;
  const double lead_s = c.startup_p95_s + c.scrape_period_s + c.rate_window_s;
  return std::max(1, static_cast<int>(std::ceil(lead_s / scenario.autoscaler.interval_s)));
}

// Our phpa: with the 2020 settings (refit_at 0), or fitted on its own first days' history.
class PhpaContender final : public Contender {
 public:
  PhpaContender(std::string name, AutoscalerSettings settings, PhpaModel model, double refit_at_s,
                std::string description)
      : Contender(std::move(name)),
        settings_(settings),
        model_(std::move(model)),
        refit_at_s_(refit_at_s),
        description_(std::move(description)) {}
  std::string Describe() const override { return description_; }
  double refit_at_s() const override { return refit_at_s_; }
  Result<ContenderSetup> Setup(const RunEnvironment&) const override {
    auto c = LoadContenderConfig(PhpaConfigText(settings_, model_), name());
    if (!c) return std::unexpected(c.error());
    ContenderSetup setup;
    setup.config = std::move(*c);
    return setup;
  }
  Result<ContenderSetup> Refit(const RunEnvironment& env,
                               const std::string& autoscaler) const override {
    // As `cpa tune` does: the learned series the evaluator stored, fitted for its lookAhead.
    auto series =
        phpa::ReadSeriesStore(env.store, autoscaler, model_.learn == "load" ? "phpa:load" : "phpa");
    if (!series) return std::unexpected(series.error().WithContext("read the learned series"));
    phpa::TuneOptions tune;
    tune.model.trend = models::Trend::kAdditive;
    tune.model.seasonal = models::Seasonal::kAdditive;
    tune.model.season_length = settings_.season_length;
    tune.model.initialization = models::Initialization::kHeuristic;
    tune.configured = models::HoltWintersParams{model_.alpha, model_.beta, model_.gamma, 0.98};
    tune.look_ahead = model_.look_ahead;
    tune.stored_seasons = settings_.stored_seasons;
    tune.linear_history_sizes.clear();
    // Hold out what exceeds the two seasons the heuristic start needs (at most a tenth): the
    // history is only a few seasons long.
    const int n = static_cast<int>(series->size());
    tune.holdout = std::max(1, std::min(n / 10, n - 2 * settings_.season_length - 1));
    auto tuned = phpa::Tune(*series, tune);
    if (!tuned) return std::unexpected(tuned.error().WithContext("fit"));
    PhpaModel fitted = model_;
    fitted.alpha = tuned->recommended.params.alpha;
    fitted.beta = tuned->recommended.params.beta;
    fitted.gamma = tuned->recommended.params.gamma;
    auto c = LoadContenderConfig(PhpaConfigText(settings_, fitted), name());
    if (!c) return std::unexpected(c.error());
    ContenderSetup setup;
    setup.config = std::move(*c);
    setup.note = fmt::format("fitted on {} points: alpha {:.3f}, beta {:.3f}, gamma {:.3f}",
                             series->size(), fitted.alpha, fitted.beta, fitted.gamma);
    return setup;
  }

 private:
  AutoscalerSettings settings_;
  PhpaModel model_;
  double refit_at_s_;
  std::string description_;
};

bool Available(std::string_view type) {
  EnsureBuiltinEvaluators();
  return config::FindMethodType(type) != nullptr;
}

}  // namespace

void EnsureBuiltinEvaluators() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (config::FindMethodType("hpa") == nullptr) (void)hpa::RegisterHpaMethodType();
    if (config::FindMethodType("phpa") == nullptr) (void)phpa::RegisterPhpaMethodType();
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
  const PhpaModel same{s.alpha, s.beta, s.gamma, 1, "hpaReplicas"};
  const int lead = LeadRuns(scenario);
  const double fit_at = scenario.fit_days * 86400.0;
  if (builtin == "phpa") {
    return std::unique_ptr<Contender>(std::make_unique<PhpaContender>(
        name, s, same, 0,
        fmt::format("our phpa evaluator with the 2020 settings: Holt-Winters alpha {}, beta {}, "
                    "gamma {}, season {}, {} seasons, one run ahead, learning the HPA's replica "
                    "count, decision maximum, legacy HPA normalization",
                    s.alpha, s.beta, s.gamma, s.season_length, s.stored_seasons)));
  }
  if (builtin == "phpa-fitted" || builtin == "phpa-load") {
    PhpaModel model{s.alpha, s.beta, s.gamma, lead,
                    builtin == "phpa-load" ? "load" : "hpaReplicas"};
    return std::unique_ptr<Contender>(std::make_unique<PhpaContender>(
        name, s, model, fit_at,
        fmt::format("our phpa learning {}, forecasting {} runs ahead (a pod start-up p95 plus "
                    "a metrics scrape period and its rate window), alpha/beta/gamma fitted on "
                    "its own first {} day(s) of history as `cpa tune` fits them",
                    builtin == "phpa-load" ? "the load (usage / per-pod target)"
                                           : "the HPA's replica count",
                    lead, scenario.fit_days)));
  }
  return MakeErrorF(ErrorCode::kInvalidArgument,
                    "contender {}: unknown built-in \"{}\"; known: hpa-2020, phpa-2020, phpa, "
                    "phpa-fitted, phpa-load",
                    name, builtin);
}

}  // namespace cpa::experiments
