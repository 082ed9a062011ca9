#include "experiments/runner.h"

#include <chrono>

#include "engine/autoscaler.h"
#include "experiments/sim_api.h"
#include "experiments/simulation.h"
#include "store/open_store.h"

namespace cpa::experiments {
namespace {

Result<std::unique_ptr<engine::Autoscaler>> Build(ContenderSetup setup, SimApi& api, Clock& clock,
                                                  store::Store& store) {
  engine::AutoscalerOptions options;
  options.metric_parallelism = 1;  // one thread per run: runs are parallel, not their pods
  options.store = &store;
  options.kube_api = &api;
  options.metric = std::move(setup.metric);
  options.evaluate = std::move(setup.evaluate);
  return engine::Autoscaler::Create(std::move(setup.config), api, clock, std::move(options));
}

}  // namespace

Result<RunOutput> RunOne(const Scenario& scenario, const Contender& contender, uint64_t seed,
                         ConnectionModel connection, const std::function<void(double)>& progress) {
  const auto wall_start = std::chrono::steady_clock::now();
  SimulationOptions options;
  options.load = scenario.load;
  options.cluster = scenario.cluster;
  options.cluster.connection = connection;
  options.start = scenario.start;
  options.duration_s = scenario.duration_s;
  options.reference_utilization = scenario.autoscaler.target_utilization;
  options.reference_tolerance = scenario.autoscaler.tolerance;
  options.seed = seed;
  Simulation sim(options);
  SimApi api(sim);
  ManualClock clock(scenario.start);
  store::StoreOptions store_options;
  store_options.max_age = std::chrono::milliseconds(0);  // keep everything (replay-like)
  auto opened = store::OpenStore(store_options);
  store::Store& store = *opened.store;

  RunEnvironment env{api, api, clock, store};
  auto setup = contender.Setup(env);
  if (!setup) return std::unexpected(setup.error().WithContext("contender " + contender.name()));
  RunOutput out;
  out.contender = contender.name();
  out.seed = seed;
  out.connection = connection;
  out.note = setup->note;
  const double interval = static_cast<double>(setup->config.interval_ms) / 1000.0;
  auto autoscaler = Build(std::move(*setup), api, clock, store);
  if (!autoscaler) {
    return std::unexpected(autoscaler.error().WithContext("contender " + contender.name()));
  }
  const std::string id = (*autoscaler)->id();
  const double refit_at = contender.refit_at_s();
  bool refitted = refit_at <= 0;
  double next_progress = 3600;
  // The first run an interval after the start (item 21), then every interval.
  for (int64_t k = 1;; ++k) {
    const double t = static_cast<double>(k) * interval;
    if (t > scenario.duration_s) break;
    sim.AdvanceTo(t);
    clock.Set(sim.WallTime(t));
    if (!refitted && t >= refit_at) {
      refitted = true;
      auto next = contender.Refit(env, id);
      if (!next) return std::unexpected(next.error().WithContext("refit of " + contender.name()));
      out.note = next->note;
      auto rebuilt = Build(std::move(*next), api, clock, store);
      if (!rebuilt) return std::unexpected(rebuilt.error().WithContext("refit"));
      *autoscaler = std::move(*rebuilt);
    }
    auto run = (*autoscaler)->Run(engine::RunType::kScaler);
    ++out.autoscaler_runs;
    if (!run) {
      if (out.autoscaler_errors++ == 0) out.first_error = run.error().ToString();
    }
    if (progress && t >= next_progress) {
      progress(t / scenario.duration_s);
      next_progress += 3600;
    }
  }
  out.trace = sim.Finish();
  if (progress) progress(1.0);
  out.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return out;
}

}  // namespace cpa::experiments
