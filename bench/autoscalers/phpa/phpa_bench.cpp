// Benchmarks of the phpa evaluator's model layer and of `cpa replay`.
//
//   PhpaRunColdStoreRead   one run of a fresh predictor (a restart): read 23,040 stored points
//                          (season 5,760 x 4) from the store, run Holt-Winters over them (heuristic
//                          start), record the new point, forecast 8 runs ahead.
//   PhpaRunWarm            one run of a running predictor: record the point in the store, advance
//                          the kept state by it, forecast (a full recomputation once per season,
//                          amortized).
//   PhpaRunOriginalSettings/m  the original PHPA's per-run work with its example settings
//                          (0.9/0.9/0.9, estimated initial states, 4 seasons of m points, one run
//                          ahead), recomputed from scratch each run as the original does; compare
//                          with statsmodels by bench/autoscalers/phpa/side_by_side.py.
//   ReplayWeek             `cpa replay` of one week at 15 s (40,320 runs) with a phpa config
//                          (HPA on CPU + one Holt-Winters model, season 5,760) through the engine.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>

#include "autoscalers/hpa/hpa_evaluator.h"
#include "autoscalers/phpa/phpa_evaluator.h"
#include "autoscalers/phpa/predictor.h"
#include "autoscalers/phpa/replay.h"
#include "common/log.h"
#include "engine/config/config_loader.h"
#include "store/sqlite_store.h"

namespace cpa::phpa {
namespace {

constexpr int64_t kInterval = 15'000;
constexpr int kSeason = 5'760;
const TimePoint kStart = FromUnixMillis(1'699'920'000'000);

double Noise(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) / 9007199254740992.0 - 0.5;
}

double Load(int64_t run, int m, uint64_t& state) {
  return std::round(10.0 + 6.0 * std::sin(2.0 * M_PI * static_cast<double>(run % m) / m) +
                    Noise(state));
}

PredictorOptions Options(store::Store* store, int m, int stored, models::Initialization init,
                         models::HoltWintersParams params, int look_ahead) {
  PredictorOptions o;
  o.interval_ms = kInterval;
  o.autoscaler = "default/web";
  o.store = store;
  ModelOptions hw;
  hw.type = ModelType::kHoltWinters;
  hw.name = "daily";
  HoltWintersModelOptions h;
  h.model.season_length = m;
  h.model.params = params;
  h.model.initialization = init;
  h.configured_alpha = params.alpha;
  h.configured_beta = params.beta;
  h.configured_gamma = params.gamma;
  h.stored_seasons = stored;
  h.look_ahead = look_ahead;
  hw.holt_winters = h;
  o.phpa.models = {hw};
  return o;
}

std::unique_ptr<store::Store> Filled(int points, int m) {
  auto s = store::OpenSqliteStore({});
  std::vector<store::RunRecord> batch;
  uint64_t state = 42;
  const auto series = Predictor::HistorySeries("default/web", LearnSource::kHpaReplicas);
  for (int i = 0; i < points; ++i) {
    store::RunRecord r;
    r.autoscaler = "default/web";
    r.time = kStart + std::chrono::milliseconds(kInterval * i);
    r.metrics.push_back(store::MetricPoint::FromText(series.resource, series.name,
                                                     fmt::format("{}", Load(i, m, state))));
    batch.push_back(std::move(r));
    if (batch.size() == 1000) {
      (void)(*s)->Record(batch);
      batch.clear();
    }
  }
  if (!batch.empty()) (void)(*s)->Record(batch);
  return std::move(*s);
}

void PhpaRunColdStoreRead(benchmark::State& state) {
  const int points = 4 * kSeason;
  auto store = Filled(points, kSeason);
  int64_t run = points;
  uint64_t noise = 7;
  for (auto _ : state) {
    auto p = Predictor::Create(Options(store.get(), kSeason, 4, models::Initialization::kHeuristic,
                                       {0.3, 0.01, 0.3, 0.98}, 8));
    const TimePoint now = kStart + std::chrono::milliseconds(kInterval * run);
    Audit a = (*p)->Run(now, 10, Load(run, kSeason, noise));
    if (!a.models[0].replicas) state.SkipWithError(a.models[0].reason.c_str());
    benchmark::DoNotOptimize(a.decision);
    ++run;
  }
  state.counters["history_points"] = points;
}
BENCHMARK(PhpaRunColdStoreRead)->Unit(benchmark::kMillisecond);

void PhpaRunWarm(benchmark::State& state) {
  const int points = 4 * kSeason;
  auto store = Filled(points, kSeason);
  auto p = Predictor::Create(Options(store.get(), kSeason, 4, models::Initialization::kHeuristic,
                                     {0.3, 0.01, 0.3, 0.98}, 8));
  int64_t run = points;
  uint64_t noise = 7;
  for (auto _ : state) {
    const TimePoint now = kStart + std::chrono::milliseconds(kInterval * run);
    Audit a = (*p)->Run(now, 10, Load(run, kSeason, noise));
    benchmark::DoNotOptimize(a.decision);
    ++run;
  }
  state.counters["full_recomputations"] =
      static_cast<double>((*p)->models()[0].full_recomputations());
}
BENCHMARK(PhpaRunWarm)->Unit(benchmark::kMicrosecond);

void PhpaRunOriginalSettings(benchmark::State& state) {
  const int m = static_cast<int>(state.range(0));
  PredictorOptions o =
      Options(nullptr, m, 4, models::Initialization::kEstimated, {0.9, 0.9, 0.9, 0.98}, 1);
  ModelRunner runner(o.phpa.models[0], kInterval);
  uint64_t noise = 42;
  int64_t run = 0;
  for (; run < 4 * m; ++run) {
    runner.Observe(kStart + std::chrono::milliseconds(kInterval * run), Load(run, m, noise));
  }
  for (auto _ : state) {
    // Every run recomputes from scratch (estimated initial states change with every point).
    const TimePoint now = kStart + std::chrono::milliseconds(kInterval * run);
    runner.Observe(now, Load(run, m, noise));
    ModelOutcome out = runner.Predict(now);
    if (!out.prediction) state.SkipWithError(out.reason.c_str());
    benchmark::DoNotOptimize(out.prediction);
    ++run;
  }
}
BENCHMARK(PhpaRunOriginalSettings)->Arg(96)->Arg(192)->Arg(384)->Unit(benchmark::kMillisecond);

void ReplayWeek(benchmark::State& state) {
  static const bool registered = [] {
    (void)hpa::RegisterHpaMethodType();
    (void)RegisterPhpaMethodType();
    return true;
  }();
  (void)registered;
  config::LoadOptions load;
  load.env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  auto loaded = config::LoadConfigFromText(R"(
scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
interval: 15000
minReplicas: 1
maxReplicas: 40
evaluate:
  type: phpa
  phpa:
    metrics:
      - type: Resource
        resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
    models:
      - type: HoltWinters
        name: daily
        holtWinters: {alpha: 0.3, beta: 0.01, gamma: 0.3, seasonalPeriods: 5760, storedSeasons: 4,
                      lookAhead: 8, initializationMethod: heuristic}
)",
                                           "bench.yaml", load);
  if (!loaded) {
    state.SkipWithError("config");
    return;
  }
  ReplayOptions options;
  uint64_t noise = 3;
  for (int i = 0; i < 7 * kSeason; ++i) {
    options.demand.times.push_back(kStart + std::chrono::milliseconds(kInterval * i));
    options.demand.values.push_back(std::max(0.1, 0.5 * Load(i, kSeason, noise)));
  }
  options.pod_startup = std::chrono::seconds(60);
  options.pod_capacity = 0.5;
  log::LogCapture quiet;  // the engine logs every scale; keep the benchmark's output readable
  for (auto _ : state) {
    auto result = Replay(loaded->config, options);
    if (!result) {
      state.SkipWithError(result.error().message.c_str());
      return;
    }
    benchmark::DoNotOptimize(result->summary.replica_hours);
    state.counters["runs"] = result->summary.runs;
    state.counters["failed_runs"] = result->summary.failed_runs;
  }
}
BENCHMARK(ReplayWeek)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
}  // namespace cpa::phpa

BENCHMARK_MAIN();
