// Holt-Winters speed on the size of the original's experiment: 23,040 points (four days at 15 s)
// with a season of 5,760, and the `estimated` fit on smaller seasons. Compare with
// bench/models/statsmodels_timing.py (the same work in statsmodels on the same series).
//   ninja -C build-release models_bench && build-release/bench/models/models_bench
#include <cmath>
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "models/fit.h"
#include "models/holt_winters.h"
#include "models/initialization.h"

namespace cpa::models {
namespace {

constexpr int kPoints = 23040;
constexpr int kSeason = 5760;

// Same series as statsmodels_timing.py (splitmix64 uniform noise, so both languages see the
// same numbers): a sine of period m plus a slow random walk and noise.
std::vector<double> Series(int n, int m) {
  uint64_t state = 42;
  auto noise = [&state] {
    state += 0x9E3779B97F4A7C15ULL;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (static_cast<double>(z >> 11) * 0x1.0p-53 - 0.5) * std::sqrt(12.0);
  };
  std::vector<double> y(static_cast<size_t>(n));
  double walk = 0.0;
  for (int t = 0; t < n; ++t) {
    walk += 0.05 * noise();
    y[static_cast<size_t>(t)] = 100.0 + walk + 20.0 * std::sin(2.0 * M_PI * t / m) + 2.0 * noise();
  }
  return y;
}

HoltWintersOptions Options(int m, Initialization init) {
  HoltWintersOptions o;
  o.trend = Trend::kAdditive;
  o.seasonal = Seasonal::kAdditive;
  o.season_length = m;
  o.initialization = init;
  o.params = {0.5, 0.1, 0.2, 1.0};
  return o;
}

// Heuristic initial states + the recursion over 23,040 points + a forecast of one season.
void BM_ForecastHeuristic(benchmark::State& state) {
  const std::vector<double> y = Series(kPoints, kSeason);
  const HoltWintersOptions o = Options(kSeason, Initialization::kHeuristic);
  for (auto _ : state) {
    auto r = RunHoltWinters(o, y, static_cast<int>(state.range(0)));
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ForecastHeuristic)->Arg(1)->Arg(kSeason)->Unit(benchmark::kMicrosecond);

// The heuristic initialization alone (the difference of the two benchmarks above and below).
void BM_HeuristicInitialization(benchmark::State& state) {
  const std::vector<double> y = Series(kPoints, kSeason);
  for (auto _ : state) {
    auto r = HeuristicInitialState(Trend::kAdditive, Seasonal::kAdditive, kSeason, y);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_HeuristicInitialization)->Unit(benchmark::kMicrosecond);

// Known initial states (no initialization work): the recursion + forecast.
void BM_ForecastKnown(benchmark::State& state) {
  const std::vector<double> y = Series(kPoints, kSeason);
  HoltWintersOptions o = Options(kSeason, Initialization::kKnown);
  o.initial = *HeuristicInitialState(o.trend, o.seasonal, kSeason, y);
  for (auto _ : state) {
    auto r = RunHoltWinters(o, y, static_cast<int>(state.range(0)));
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ForecastKnown)->Arg(1)->Arg(kSeason)->Unit(benchmark::kMicrosecond);

// Fit alpha, beta, gamma from heuristic initial states (grid + BOBYQA).
void BM_FitHeuristic(benchmark::State& state) {
  const std::vector<double> y = Series(kPoints, kSeason);
  const HoltWintersOptions o = Options(kSeason, Initialization::kHeuristic);
  FitOptions fit;
  fit.horizon = static_cast<int>(state.range(0));
  double sse = 0.0;
  int evaluations = 0;
  for (auto _ : state) {
    auto r = FitHoltWinters(o, y, fit);
    sse = r->sse;
    evaluations = r->evaluations;
    benchmark::DoNotOptimize(r);
  }
  state.counters["sse"] = sse;
  state.counters["evaluations"] = evaluations;
}
BENCHMARK(BM_FitHeuristic)->Arg(1)->Arg(20)->Unit(benchmark::kMillisecond);

// Fit alpha, beta, gamma and the m + 2 initial states (`estimated`), on 4 seasons of m points.
void BM_FitEstimated(benchmark::State& state) {
  const int m = static_cast<int>(state.range(0));
  const std::vector<double> y = Series(4 * m, m);
  const HoltWintersOptions o = Options(m, Initialization::kEstimated);
  double sse = 0.0;
  int evaluations = 0;
  for (auto _ : state) {
    auto r = FitHoltWinters(o, y);
    sse = r->sse;
    evaluations = r->evaluations;
    benchmark::DoNotOptimize(r);
  }
  state.counters["sse"] = sse;
  state.counters["evaluations"] = evaluations;
}
BENCHMARK(BM_FitEstimated)
    ->Arg(96)
    ->Arg(192)
    ->Arg(384)
    ->Arg(720)
    ->Arg(1440)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cpa::models

BENCHMARK_MAIN();
