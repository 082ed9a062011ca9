// The simulated cluster through the Kubernetes API seams: the engine's kubernetesMetrics gatherer
// reads pods and metrics from SimApi as from a real API server, and a whole engine::Autoscaler
// runs against it (a short scenario end to end, minutes of simulated time).
#include "experiments/sim_api.h"

#include <gtest/gtest.h>

#include "engine/kubernetes_metrics/gatherer.h"
#include "experiments/contender.h"
#include "experiments/runner.h"
#include "experiments/summary.h"

namespace cpa::experiments {
namespace {

constexpr std::string_view kConfig = R"(
scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
interval: 15000
minReplicas: 1
maxReplicas: 20
runMode: per-resource
downscaleStabilization: 300
kubernetesMetricSpecs:
- type: Resource
  resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
metric: {type: shell, shell: {entrypoint: "true"}}
evaluate: {type: shell, shell: {entrypoint: "true"}}
)";

SimulationOptions Options(int users, int replicas) {
  SimulationOptions o;
  o.start = FromUnixMillis(0);
  o.duration_s = 3600;
  o.load.users = users;
  o.load.phases.clear();
  o.cluster.initial_replicas = replicas;
  o.cluster.fast_failure_fraction = 0;
  return o;
}

TEST(SimApiTest, GathererSeesPodsAndTheLatestScrape) {
  Simulation sim(Options(15, 2));
  SimApi api(sim);
  sim.AdvanceTo(200);
  sim.SetReplicas(3);  // a third pod, Pending for a few seconds
  auto config = LoadContenderConfig(kConfig, "test.yaml");
  ASSERT_TRUE(config) << config.error().message;
  auto target = api.GetTarget(*config->scale_target_ref, "default");
  ASSERT_TRUE(target) << target.error().message;
  EXPECT_EQ(target->current_replicas, 3);
  ASSERT_EQ(target->pods.size(), 3u);
  auto metrics = engine::GatherKubernetesMetricList(api, *config, *target, sim.WallTime(200));
  ASSERT_TRUE(metrics) << metrics.error().message;
  ASSERT_EQ(metrics->size(), 1u);
  const auto& resource = *(*metrics)[0].resource;
  EXPECT_EQ(resource.total_pods, 3);
  EXPECT_EQ(resource.pod_metrics_info.size(), 2u);  // the Pending pod is ignored
  EXPECT_EQ(resource.ignored_pods.size(), 1u);
  for (const auto& m : sim.PodMetrics()) {
    ASSERT_TRUE(resource.pod_metrics_info.contains(m.name));
    EXPECT_NEAR(resource.pod_metrics_info.at(m.name).value, m.cpu_cores * 1000, 1.0);
  }
  ASSERT_TRUE(resource.requests);
  for (const auto& [pod, request] : *resource.requests) EXPECT_EQ(request, 200) << pod;
}

TEST(SimApiTest, ScaleThroughTheApiChangesTheDeployment) {
  Simulation sim(Options(0, 1));
  SimApi api(sim);
  kube::ObjectRef ref{"apps/v1", "Deployment", "web"};
  auto scaled = api.PatchScaleReplicas(ref, "default", 4);
  ASSERT_TRUE(scaled);
  EXPECT_EQ(scaled->replicas, 4);
  EXPECT_EQ(sim.replicas(), 4);
  EXPECT_EQ(api.GetScale(ref, "default")->selector, "app=web");
  auto missing = api.GetScale({"apps/v1", "Deployment", "other"}, "default");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

// A stand-in evaluator for the engine path: target = ceil(sum of usage / (50% of requests)).
class EchoMetric final : public engine::Method {
 public:
  Result<std::string> Call(std::string_view input, std::stop_token) override {
    auto doc = ParseJson(input);
    if (!doc) return std::unexpected(doc.error());
    return ToJson((*doc)["kubernetesMetrics"]);
  }
};
class UsageEvaluator final : public engine::Method {
 public:
  Result<std::string> Call(std::string_view input, std::stop_token) override {
    auto doc = ParseJson(input);
    if (!doc) return std::unexpected(doc.error());
    auto metrics = ParseJson((*doc)["metrics"][0]["value"].GetString());
    if (!metrics) return std::unexpected(metrics.error());
    if (!metrics->IsArray() || metrics->Empty()) {
      return MakeError(ErrorCode::kUnavailable, "no metrics yet");
    }
    const JsonValue& info = (*metrics)[0]["resource"]["pod_metrics_info"];
    double usage = 0;
    for (auto it = info.MemberBegin(); it != info.MemberEnd(); ++it) {
      usage += static_cast<double>(it->value["value"].GetInt64());
    }
    const int target = std::max(1, static_cast<int>(std::ceil(usage / 100.0)));
    return fmt::format("{{\"targetReplicas\": {}}}", target);
  }
};
class TestContender final : public Contender {
 public:
  TestContender() : Contender("test") {}
  std::string Describe() const override { return "usage / 100m"; }
  Result<ContenderSetup> Setup(const RunEnvironment&) const override {
    auto c = LoadContenderConfig(kConfig, "test.yaml");
    if (!c) return std::unexpected(c.error());
    ContenderSetup s;
    s.config = *c;
    s.metric = std::make_unique<EchoMetric>();
    s.evaluate = std::make_unique<UsageEvaluator>();
    return s;
  }
};

TEST(SimApiTest, AnAutoscalerScalesTheSimulatedClusterEndToEnd) {
  Scenario s = DefaultScenario();
  s.duration_s = 30 * 60;
  s.load.users = 40;  // about 1.2 cores: 12-13 pods at 100m each
  s.load.phases.clear();
  TestContender contender;
  auto run = RunOne(s, contender, 1, ConnectionModel::kPerRequest);
  ASSERT_TRUE(run) << run.error().message;
  // Runs before the first metrics-server scrape fail (no metrics), as they would in a cluster.
  EXPECT_LE(run->autoscaler_errors, 4) << run->first_error;
  EXPECT_EQ(run->autoscaler_runs, 120);
  ASSERT_FALSE(run->trace.samples.empty());
  EXPECT_GE(run->trace.samples.back().replicas, 10);
  EXPECT_LE(run->trace.samples.back().replicas, 16);
  auto days = ComputeDayMetrics(*run);
  ASSERT_EQ(days.size(), 1u);
  EXPECT_GT(days[0].requests, 0);
  EXPECT_GE(days[0].scale_events, 1);
  EXPECT_GT(days[0].latency_p99_ms, days[0].latency_mean_ms);
}

}  // namespace
}  // namespace cpa::experiments
