// Runs one contender against one simulated cluster (one seed, one connection model): the
// simulation advances to each autoscaler tick, the manual clock is set, and engine::Autoscaler
// runs its stages against the simulation through SimApi, recording into an in-memory store.
//
// Thread-safe in the sense that independent RunOne calls may run concurrently (each owns its
// simulation, clock, store and autoscaler).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/error.h"
#include "experiments/contender.h"
#include "experiments/scenario.h"
#include "experiments/trace.h"

namespace cpa::experiments {

struct RunOutput {
  std::string contender;
  uint64_t seed = 0;
  ConnectionModel connection = ConnectionModel::kPerRequest;
  Trace trace;
  int64_t autoscaler_runs = 0;
  int64_t autoscaler_errors = 0;
  std::string first_error;  // the first failed run's error, for the report
  std::string note;         // the contender's note (e.g. fitted parameters)
  double wall_seconds = 0;  // how long the run took
};

// `progress` (optional) is called with the simulated fraction done, about every simulated hour.
Result<RunOutput> RunOne(const Scenario& scenario, const Contender& contender, uint64_t seed,
                         ConnectionModel connection,
                         const std::function<void(double)>& progress = {});

}  // namespace cpa::experiments
