// HPA evaluator benchmarks (issue 10):
//  - BM_Evaluate/pods: one HPA decision (EvaluateHpa: proposal over 3 metrics — CPU utilization,
//    memory average value, a Pods metric — and legacy normalization) on gathered inputs, for 10,
//    100 and 1,000 pods. Target: 1,000 pods x 3 metrics under 1 ms.
//  - BM_GatherAndEvaluate/pods: the same preceded by the Kubernetes gatherer reading the metrics
//    APIs' JSON answers (from an in-memory snapshot API), as a run does.
//  - BM_BehaviorFromStore: a behavior decision (100 pods, 3 metrics) reading a full 5-minute
//    history (20 recommendations, 10 scale events) from a SQLite store file.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "autoscalers/hpa/hpa_evaluator.h"
#include "engine/kube_cluster.h"
#include "engine/kubernetes_metrics/gatherer.h"
#include "engine/snapshot/snapshot.h"
#include "store/open_store.h"

namespace cpa::hpa {
namespace {

constexpr const char* kNow = "2026-11-30T12:00:00Z";

std::string SnapshotJson(int pods) {
  std::string items;
  std::string metrics;
  std::string custom;
  for (int i = 0; i < pods; ++i) {
    const std::string name = fmt::format("web-{}", i);
    if (i > 0) {
      items += ",";
      metrics += ",";
      custom += ",";
    }
    items += fmt::format(
        R"({{"metadata":{{"name":"{}","namespace":"default"}},"spec":{{"containers":[{{"name":"app",)"
        R"("resources":{{"requests":{{"cpu":"500m","memory":"256Mi"}}}}}}]}},"status":{{"phase":"Running",)"
        R"("startTime":"2026-11-30T11:00:00Z","conditions":[{{"type":"Ready","status":"True",)"
        R"("lastTransitionTime":"2026-11-30T11:00:10Z"}}]}}}})",
        name);
    metrics += fmt::format(
        R"({{"metadata":{{"name":"{}","namespace":"default"}},"timestamp":"2026-11-30T11:59:45Z",)"
        R"("window":"30s","containers":[{{"name":"app","usage":{{"cpu":"{}m","memory":"{}Mi"}}}}]}})",
        name, 300 + i % 400, 100 + i % 200);
    custom += fmt::format(
        R"({{"describedObject":{{"kind":"Pod","name":"{}"}},"metricName":"requests_per_second",)"
        R"("timestamp":"2026-11-30T11:59:45Z","value":"{}"}})",
        name, 5 + i % 20);
  }
  return fmt::format(
      R"({{"now":"{}","scale":{{"kind":"Scale","metadata":{{"name":"web"}},"spec":{{"replicas":{}}},)"
      R"("status":{{"replicas":{},"selector":"app=web"}}}},"pods":{{"kind":"PodList","items":[{}]}},)"
      R"("podMetrics":{{"kind":"PodMetricsList","items":[{}]}},)"
      R"("customMetrics":{{"kind":"MetricValueList","items":[{}]}}}})",
      kNow, pods, pods, items, metrics, custom);
}

HpaOptions Options(bool behavior) {
  HpaOptions o;
  o.max_replicas = 100000;
  config::MetricSpec cpu = DefaultCpuMetric();
  config::MetricSpec memory;
  memory.type = config::MetricSourceType::kResource;
  memory.resource = config::ResourceMetricSource{"memory", {}};
  memory.resource->target.type = config::MetricTargetType::kAverageValue;
  memory.resource->target.average_value = *Quantity::Parse("200Mi");
  config::MetricSpec pods;
  pods.type = config::MetricSourceType::kPods;
  pods.pods = config::PodsMetricSource{};
  pods.pods->metric.name = "requests_per_second";
  pods.pods->target.type = config::MetricTargetType::kAverageValue;
  pods.pods->target.average_value = *Quantity::Parse("10");
  o.metrics = {cpu, memory, pods};
  o.cpu_initialization_period_s = 300;
  o.initial_readiness_delay_s = 30;
  if (behavior) o.behavior = Behavior{};
  return o;
}

struct Fixture {
  explicit Fixture(int pods, bool behavior = false)
      : options(Options(behavior)),
        api(*engine::ParseSnapshot(SnapshotJson(pods))),
        cluster(api),
        now(api.snapshot().now) {
    target = *cluster.GetTarget({"apps/v1", "Deployment", "web"}, "default");
    gathered = Gather();
  }
  std::vector<engine::GatheredMetric> Gather() {
    const engine::GatherPlan plan = PlanOf(options);
    std::vector<engine::GatheredMetric> out;
    for (const auto& spec : plan.specs) {
      engine::GatheredMetric g{spec, std::nullopt, std::nullopt};
      auto m = engine::GatherKubernetesMetric(api, spec, "default", target, plan.periods, now);
      if (m) {
        g.metric = std::move(*m);
      } else {
        g.error = m.error();
      }
      out.push_back(std::move(g));
    }
    return out;
  }
  HpaOptions options;
  engine::SnapshotApi api;
  engine::KubeCluster cluster;
  TimePoint now;
  engine::TargetState target;
  std::vector<engine::GatheredMetric> gathered;
};

void BM_Evaluate(benchmark::State& state) {
  Fixture f(static_cast<int>(state.range(0)));
  InMemoryHpaHistory history;
  (void)history.AddRecommendation(f.now - std::chrono::minutes(10), 1);
  int desired = 0;
  for (auto _ : state) {
    auto d = EvaluateHpa(f.options, f.target, f.gathered, f.now, history, false);
    if (!d) state.SkipWithError(d.error().message.c_str());
    desired = d->desired_replicas;
    benchmark::DoNotOptimize(desired);
  }
  state.counters["desired"] = desired;
}
BENCHMARK(BM_Evaluate)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_GatherAndEvaluate(benchmark::State& state) {
  Fixture f(static_cast<int>(state.range(0)));
  InMemoryHpaHistory history;
  (void)history.AddRecommendation(f.now - std::chrono::minutes(10), 1);
  for (auto _ : state) {
    auto gathered = f.Gather();
    auto d = EvaluateHpa(f.options, f.target, gathered, f.now, history, false);
    if (!d) state.SkipWithError(d.error().message.c_str());
    benchmark::DoNotOptimize(d->desired_replicas);
  }
}
BENCHMARK(BM_GatherAndEvaluate)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_BehaviorFromStore(benchmark::State& state) {
  Fixture f(100, /*behavior=*/true);
  const auto path = std::filesystem::temp_directory_path() /
                    fmt::format("cpa-hpa-bench-{}.db", static_cast<int>(getpid()));
  std::filesystem::remove(path);
  store::StoreOptions so;
  so.path = path.string();
  auto opened = store::OpenStore(so);
  StoreHpaHistory history(*opened.store, "default/web");
  for (int i = 0; i < 20; ++i) {  // 5 minutes at a 15 s interval
    const TimePoint t = f.now - std::chrono::seconds(300 - 15 * i);
    (void)history.AddRecommendation(t, 100 + i);
    if (i % 2 == 0) (void)history.AddScaleEvent(t, i % 4 == 0 ? 2 : -1);
  }
  for (auto _ : state) {
    auto d = EvaluateHpa(f.options, f.target, f.gathered, f.now, history, false);
    if (!d) state.SkipWithError(d.error().message.c_str());
    benchmark::DoNotOptimize(d->desired_replicas);
  }
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
}
BENCHMARK(BM_BehaviorFromStore)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace cpa::hpa

BENCHMARK_MAIN();
