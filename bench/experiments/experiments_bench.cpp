// Speed of the simulated cluster and of one contender's run through the engine.
#include <benchmark/benchmark.h>

#include "experiments/builtin_contenders.h"
#include "experiments/runner.h"
#include "experiments/simulation.h"

namespace cpa::experiments {
namespace {

// One simulated day of the default load on a fixed 8 pods (no autoscaler): the event loop alone.
void BM_SimulateDay(benchmark::State& state) {
  for (auto _ : state) {
    SimulationOptions o;
    o.start = DefaultScenario().start;
    o.cluster.initial_replicas = 8;
    o.cluster.cpu_model = state.range(0) == 0 ? CpuModel::kCfs : CpuModel::kProcessorSharing;
    Simulation sim(o);
    Trace t = sim.Finish();
    benchmark::DoNotOptimize(t.load_runs.size());
  }
}
BENCHMARK(BM_SimulateDay)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// Six simulated hours of the hpa-2020 contender: simulation plus 1,440 engine runs.
void BM_RunHpaSixHours(benchmark::State& state) {
  Scenario s = DefaultScenario();
  s.duration_s = 6 * 3600;
  auto contender = MakeBuiltinContender("hpa-2020", "hpa-2020", s);
  for (auto _ : state) {
    auto run = RunOne(s, **contender, 1, ConnectionModel::kPerRequest);
    benchmark::DoNotOptimize(run->autoscaler_runs);
  }
}
BENCHMARK(BM_RunHpaSixHours)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cpa::experiments
BENCHMARK_MAIN();
