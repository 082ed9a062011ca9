// Unit tests of the hpa building blocks: registration, options and their key paths, behavior
// defaults, tolerance quantities, the histories and the engine seam (a built-in evaluator run by
// the Autoscaler on an in-memory cluster).
#include <gtest/gtest.h>

#include "engine/autoscaler.h"
#include "engine/config/config_loader.h"
#include "engine/kube_cluster.h"
#include "engine/snapshot/snapshot.h"
#include "store/open_store.h"
#include "tests/autoscalers/hpa/hpa_test_util.h"

namespace cpa::hpa {
namespace {

using testing_util::CasesDir;
using testing_util::ReadFile;

config::LoadResult LoadText(const std::string& yaml) {
  testing_util::EnsureHpaRegistered();
  config::LoadOptions options;
  options.env = nullptr;
  options.require_target = false;
  return config::LoadConfigFromText(yaml, "c.yaml", options);
}

std::string Errors(const config::LoadResult& r) {
  std::string out;
  if (!r) {
    for (const auto& e : r.error().errors) out += e.ToString() + "\n";
  }
  return out;
}

TEST(HpaRegistration, HpaJoinsTheSortedTableOnce) {
  testing_util::EnsureHpaRegistered();
  EXPECT_EQ(config::KnownMethodTypeNames().find("hpa, http, shell"), 0u)
      << config::KnownMethodTypeNames();
  EXPECT_TRUE(config::IsBuiltinEvaluator("hpa"));
  EXPECT_FALSE(config::IsBuiltinEvaluator("shell"));
  EXPECT_FALSE(RegisterHpaMethodType());  // a second registration is refused
}

TEST(HpaRegistration, UnknownTypesListTheKnownOnes) {
  auto r = LoadText("metric: {type: shell, shell: {entrypoint: x}}\nevaluate: {type: hap}\n");
  EXPECT_NE(Errors(r).find("evaluate.type: unknown method type \"hap\"; known types: hpa, http, "
                           "shell"),
            std::string::npos)
      << Errors(r);
}

TEST(HpaRegistration, HpaIsOnlyAnEvaluatorAndNeedsNoMetric) {
  auto r = LoadText("evaluate: {type: hpa}\n");
  ASSERT_TRUE(r) << Errors(r);
  EXPECT_EQ(r->config.evaluate.type, "hpa");
  r = LoadText("evaluate: {type: hpa}\nmetric: {type: shell, shell: {entrypoint: x}}\n");
  ASSERT_TRUE(r) << Errors(r);
  bool warned = false;
  for (const auto& w : r->warnings) warned |= w.path == "metric";
  EXPECT_TRUE(warned);
  r = LoadText("evaluate: {type: hpa}\npreScale: {type: hpa}\n");
  EXPECT_NE(Errors(r).find("preScale.type: method type \"hpa\" cannot be used as preScale"),
            std::string::npos)
      << Errors(r);
  r = LoadText("evaluate: {type: shell, shell: {entrypoint: x}}\n");
  EXPECT_NE(Errors(r).find("metric: is required"), std::string::npos);
}

TEST(HpaOptions, EveryBadKeyIsReportedWithItsPath) {
  auto r = LoadText(R"(evaluate:
  type: hpa
  hpa:
    tolerance: -0.1
    cpuInitializationPeriod: -1
    scaleUpLimitFactor: 0
    metrics: []
    behavior:
      scaleUp: {selectPolicy: Sideways, stabilizationWindowSeconds: 3601, tolerance: "-5m"}
      scaleDown:
        policies: [{type: Nodes, value: 0, periodSeconds: 1801}]
)");
  std::string e = Errors(r);
  for (const char* want : {
           "evaluate.hpa.tolerance: must be >= 0",
           "evaluate.hpa.cpuInitializationPeriod: must be >= 0 (seconds), got -1",
           "evaluate.hpa.scaleUpLimitFactor: must be > 0",
           "evaluate.hpa.metrics: must list at least one metric when given",
           "evaluate.hpa.behavior.scaleUp.selectPolicy: must be Max, Min or Disabled",
           "evaluate.hpa.behavior.scaleUp.stabilizationWindowSeconds: must be 0-3600",
           "evaluate.hpa.behavior.scaleUp.tolerance: must be >= 0",
           "evaluate.hpa.behavior.scaleDown.policies[0].type: must be Pods or Percent",
           "evaluate.hpa.behavior.scaleDown.policies[0].value: must be > 0, got 0",
           "evaluate.hpa.behavior.scaleDown.policies[0].periodSeconds: must be <= 1800",
       }) {
    EXPECT_NE(e.find(want), std::string::npos) << want << "\n" << e;
  }
  r = LoadText(
      "evaluate: {type: hpa, hpa: {metrics: [{type: Pods, pods: {metric: {name: x}, "
      "target: {type: Utilization, averageUtilization: 5}}}]}}\n");
  EXPECT_NE(Errors(r).find("evaluate.hpa.metrics[0].pods.target.type: must be one of "
                           "AverageValue here"),
            std::string::npos)
      << Errors(r);
}

TEST(HpaOptions, TheReadyConfigsAreValid) {
  for (const char* file : {"autoscalers/hpa/config.yaml", "autoscalers/hpa/example/config.yaml"}) {
    auto r = LoadText(ReadFile(std::filesystem::path(testing_util::SourceDir()) / file));
    ASSERT_TRUE(r) << file << "\n" << Errors(r);
    EXPECT_TRUE(r->warnings.empty()) << file << ": " << r->warnings.front().ToString();
    auto o = LoadHpaOptions(r->config.evaluate.options_json, "evaluate.hpa", r->config);
    ASSERT_TRUE(o) << file;
  }
}

TEST(HpaOptions, UnknownKeysWarn) {
  auto r = LoadText("evaluate: {type: hpa, hpa: {tolerence: 0.2}}\n");
  ASSERT_TRUE(r) << Errors(r);
  bool warned = false;
  for (const auto& w : r->warnings) warned |= w.path == "evaluate.hpa.tolerence";
  EXPECT_TRUE(warned);
}

TEST(HpaOptions, DefaultsComeFromTheTopLevelConfig) {
  auto r = LoadText(R"(evaluate: {type: hpa}
cpuInitializationPeriod: 120
initialReadinessDelay: 10
minReplicas: 2
maxReplicas: 7
downscaleStabilization: 60
kubernetesMetricSpecs:
  - {type: Resource, resource: {name: memory, target: {type: Utilization, averageUtilization: 70}}}
)");
  ASSERT_TRUE(r) << Errors(r);
  auto o = LoadHpaOptions(r->config.evaluate.options_json, "evaluate.hpa", r->config);
  ASSERT_TRUE(o);
  ASSERT_EQ(o->metrics.size(), 1u);
  EXPECT_EQ(o->metrics[0].resource->name, "memory");
  EXPECT_EQ(*o->cpu_initialization_period_s, 120);
  EXPECT_EQ(*o->initial_readiness_delay_s, 10);
  EXPECT_EQ(o->min_replicas, 2);
  EXPECT_EQ(o->max_replicas, 7);
  EXPECT_EQ(o->downscale_stabilization_s, 60);
  EXPECT_DOUBLE_EQ(o->tolerance, 0.1);
  EXPECT_FALSE(o->behavior);

  r = LoadText("evaluate: {type: hpa, hpa: {cpuInitializationPeriod: 30}}\n");
  ASSERT_TRUE(r);
  o = LoadHpaOptions(r->config.evaluate.options_json, "evaluate.hpa", r->config);
  ASSERT_TRUE(o);
  EXPECT_EQ(*o->cpu_initialization_period_s, 30);
  ASSERT_EQ(o->metrics.size(), 1u);  // neither given: CPU at 80% utilization
  EXPECT_EQ(o->metrics[0].resource->name, "cpu");
  EXPECT_EQ(*o->metrics[0].resource->target.average_utilization, 80);
}

TEST(HpaOptions, BehaviorDefaultsAreUpstreams) {
  Behavior b;
  ScalingRules up = ScaleUpRules(b);
  EXPECT_EQ(up.stabilization_window_seconds, 0);
  EXPECT_EQ(up.select_policy, SelectPolicy::kMax);
  ASSERT_EQ(up.policies.size(), 2u);
  EXPECT_EQ(up.policies[0].type, PolicyType::kPods);
  EXPECT_EQ(up.policies[0].value, 4);
  EXPECT_EQ(up.policies[0].period_seconds, 15);
  EXPECT_EQ(up.policies[1].type, PolicyType::kPercent);
  EXPECT_EQ(up.policies[1].value, 100);
  ScalingRules down = ScaleDownRules(b);
  EXPECT_EQ(down.stabilization_window_seconds, 300);
  ASSERT_EQ(down.policies.size(), 1u);
  EXPECT_EQ(down.policies[0].type, PolicyType::kPercent);
  EXPECT_EQ(down.policies[0].value, 100);
  b.scale_down = HpaScalingRules{};
  b.scale_down->select_policy = SelectPolicy::kMin;
  down = ScaleDownRules(b);
  EXPECT_EQ(down.select_policy, SelectPolicy::kMin);
  EXPECT_EQ(down.stabilization_window_seconds, 300);  // the rest keeps its default
}

TEST(HpaOptions, TolerancesAreQuantitiesReadAsGoDoes) {
  EXPECT_EQ(*ParseApproximateQuantity("50m"), 0.05);
  EXPECT_EQ(*ParseApproximateQuantity("0.05"), 0.05);
  EXPECT_EQ(*ParseApproximateQuantity("0.1"), 0.1);
  EXPECT_EQ(*ParseApproximateQuantity("1e-2"), 0.01);
  EXPECT_EQ(*ParseApproximateQuantity("0"), 0.0);
  EXPECT_FALSE(ParseApproximateQuantity("5%"));
  EXPECT_FALSE(ParseApproximateQuantity(""));
  EXPECT_FALSE(ParseApproximateQuantity("."));
}

TEST(HpaNormalize, ScaleUpWindowTakesTheLowestRecentRecommendation) {
  HpaOptions o;
  o.max_replicas = 20;
  o.behavior = Behavior{};
  o.behavior->scale_up = HpaScalingRules{};
  o.behavior->scale_up->stabilization_window_seconds = 60;
  InMemoryHpaHistory history;
  const TimePoint t0 = FromUnixMillis(1'800'000'000'000);
  ASSERT_TRUE(history.AddRecommendation(t0, 6));
  ASSERT_TRUE(history.AddRecommendation(t0 + std::chrono::seconds(15), 9));
  auto n = Normalize({4, 12, t0 + std::chrono::seconds(30)}, o, history, true);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->stabilized, 6);  // min(6, 9, 12) over the last 60 s
  EXPECT_EQ(n->desired_replicas, 6);
  EXPECT_EQ(n->able_to_scale.reason, "ScaleUpStabilized");
  EXPECT_EQ(n->scaling_limited.reason, "DesiredWithinRange");
  auto recs = history.Recommendations(t0);
  ASSERT_TRUE(recs);
  EXPECT_EQ(recs->size(), 3u);  // the run's recommendation was recorded
  // A dry run computes the same without recording.
  auto dry = Normalize({4, 12, t0 + std::chrono::seconds(31)}, o, history, false);
  ASSERT_TRUE(dry);
  EXPECT_EQ(history.Recommendations(t0)->size(), 3u);
}

TEST(HpaNormalize, LegacyLimitAndTooFewReplicas) {
  HpaOptions o;
  o.min_replicas = 3;
  o.max_replicas = 100;
  o.scale_up_limit_factor = 1.5;
  o.scale_up_limit_minimum = 2;
  InMemoryHpaHistory history;
  const TimePoint t0 = FromUnixMillis(1'800'000'000'000);
  auto n = Normalize({10, 40, t0}, o, history, true);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->desired_replicas, 15);  // max(1.5 * 10, 2)
  EXPECT_EQ(n->scaling_limited.reason, "ScaleUpLimit");
  EXPECT_EQ(n->scaling_limited.status, "True");
  n = Normalize({10, 1, t0 + std::chrono::seconds(1)}, o, history, true);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->desired_replicas, 3);
  EXPECT_EQ(n->scaling_limited.reason, "TooFewReplicas");
}

TEST(HpaHistoryStore, RecommendationsAndScaleEventsRoundTrip) {
  auto opened = store::OpenStore({});  // in memory
  StoreHpaHistory history(*opened.store, "default/web");
  const TimePoint t0 = FromUnixMillis(1'800'000'000'000);
  EXPECT_FALSE(*history.HasRecommendations());
  ASSERT_TRUE(history.AddInitialRecommendation(t0, 4));
  ASSERT_TRUE(history.AddRecommendation(t0, 9));
  ASSERT_TRUE(history.AddRecommendation(t0 + std::chrono::seconds(15), 7));
  ASSERT_TRUE(history.AddScaleEvent(t0, 4));
  ASSERT_TRUE(history.AddScaleEvent(t0 + std::chrono::seconds(15), -2));
  EXPECT_TRUE(*history.HasRecommendations());
  auto recs = history.Recommendations(t0);
  ASSERT_TRUE(recs);
  ASSERT_EQ(recs->size(), 3u);  // the initial one and the run's, both at t0
  auto later = history.Recommendations(t0 + std::chrono::seconds(1));
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ((*later)[0].replicas, 7);
  auto events = history.ScaleEvents(t0);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].replicas, 4);
  EXPECT_EQ((*events)[1].replicas, -2);
  // A second history over the same store (a restart) sees the same.
  StoreHpaHistory again(*opened.store, "default/web");
  EXPECT_TRUE(*again.HasRecommendations());
  EXPECT_EQ(again.ScaleEvents(t0)->size(), 2u);
}

// The engine seam: a built-in evaluator inside the Autoscaler, on a snapshot cluster.
TEST(HpaEngineSeam, TheAutoscalerRunsTheEvaluatorInsteadOfTheStabilizeStage) {
  testing_util::EnsureHpaRegistered();
  const auto dir = CasesDir() / "utilization-scale-up";
  config::LoadOptions load;
  load.path = (dir / "config.yaml").string();
  load.env = nullptr;
  load.require_target = false;
  auto loaded = config::LoadConfig(load);
  ASSERT_TRUE(loaded);
  config::Config config = loaded->config;
  config.scale_target_ref = config::ScaleTargetRef{"apps/v1", "Deployment", "web"};
  auto snapshot = engine::ParseSnapshot(ReadFile(dir / "snapshot.json"));
  ASSERT_TRUE(snapshot);
  ManualClock clock(snapshot->now);
  engine::SnapshotApi api(std::move(*snapshot));
  engine::KubeCluster cluster(api);
  auto opened = store::OpenStore({});
  engine::AutoscalerOptions options;
  options.kube_api = &api;
  options.store = opened.store.get();
  auto autoscaler = engine::Autoscaler::Create(config, cluster, clock, std::move(options));
  ASSERT_TRUE(autoscaler) << autoscaler.error().message;
  auto dry = (*autoscaler)->Run(engine::RunType::kApiDryRun);
  ASSERT_TRUE(dry) << dry.error().ToString();
  EXPECT_EQ(dry->decision->target_replicas, 6);
  EXPECT_FALSE(dry->decision->applied);
  ASSERT_TRUE(dry->audit);
  EXPECT_EQ((*dry->audit)["desiredReplicas"].GetInt(), 6);
  StoreHpaHistory history(*opened.store, (*autoscaler)->id());
  EXPECT_FALSE(*history.HasRecommendations());  // a dry run records nothing

  auto run = (*autoscaler)->Run(engine::RunType::kScaler);
  ASSERT_TRUE(run) << run.error().ToString();
  EXPECT_TRUE(run->decision->applied);
  EXPECT_EQ(api.GetScale({}, "default")->replicas, 6);
  ASSERT_EQ(run->metrics.size(), 1u);
  EXPECT_EQ(run->metrics[0].resource, "cpu");
  EXPECT_EQ(run->metrics[0].value, "100");  // utilization, recorded as the run's metric
  auto events = history.ScaleEvents(clock.Now() - std::chrono::seconds(1));
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].replicas, 3);  // 3 -> 6
  EXPECT_TRUE(*history.HasRecommendations());
}

}  // namespace
}  // namespace cpa::hpa
